# ensure_build_deps: the C libraries the package links, installed with
# apt-get when missing (as root): libcurl (the smtp mailer's SMTP client).
ensure_build_deps() {
    if [ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ]; then return 0; fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: libcurl's headers are missing; run: sudo apt-get install -y libcurl4-openssl-dev" >&2
        return 1
    fi
    echo "installing libcurl4-openssl-dev with apt-get" >&2
    apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcurl4-openssl-dev >&2
}
