// The mail kinds: smtp (libcurl) and file.
