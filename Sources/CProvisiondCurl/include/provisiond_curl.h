#ifndef PROVISIOND_CURL_H
#define PROVISIOND_CURL_H
/* Typed wrappers over libcurl's variadic API (written by the mail module's author). */
#endif
