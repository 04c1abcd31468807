# Real SMTP servers for the tests: aiosmtpd (PyPI) in its own virtual
# environment, three servers on free loopback ports (scripts/lib/smtp_server.py):
# plain; STARTTLS + AUTH; implicit TLS + AUTH, with a throwaway CA. Sourced by
# scripts/test.sh. smtp_start exports SMTP_HOST, SMTP_PLAIN_PORT,
# SMTP_STARTTLS_PORT, SMTP_IMPLICIT_PORT, SMTP_USER, SMTP_PASSWORD,
# SMTP_CA_FILE and SMTP_MAIL_DIR (where received mail is written); smtp_stop stops them.
AIOSMTPD_VERSION=1.4.6
SMTP_VENV=${SMTP_VENV:-$HOME/.cache/provisiond/aiosmtpd-$AIOSMTPD_VERSION}

smtp_start() {
    venv_install "$SMTP_VENV" "aiosmtpd==$AIOSMTPD_VERSION" aiosmtpd
    SMTP_TMP=$(mktemp -d /tmp/provisiond-smtp.XXXXXX)
    mkdir -p "$SMTP_TMP/mail"
    # A throwaway CA and a certificate for 127.0.0.1/localhost signed by it.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=provisiond test CA" \
        -keyout "$SMTP_TMP/ca.key" -out "$SMTP_TMP/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$SMTP_TMP/server.key" -out "$SMTP_TMP/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$SMTP_TMP/ext.cnf"
    openssl x509 -req -in "$SMTP_TMP/server.csr" -CA "$SMTP_TMP/ca.pem" -CAkey "$SMTP_TMP/ca.key" -CAcreateserial \
        -days 2 -extfile "$SMTP_TMP/ext.cnf" -out "$SMTP_TMP/server.pem" 2>/dev/null
    SMTP_USER=mailer
    SMTP_PASSWORD="smtp-test-$(date +%s)"
    mkfifo "$SMTP_TMP/stdin"
    "$SMTP_VENV/bin/python" "$(dirname "${BASH_SOURCE[0]}")/smtp_server.py" "$SMTP_TMP/mail" "$SMTP_TMP/server.pem" \
        "$SMTP_TMP/server.key" "$SMTP_USER" "$SMTP_PASSWORD" <"$SMTP_TMP/stdin" >"$SMTP_TMP/out" 2>"$SMTP_TMP/log" &
    SMTP_PID=$!
    exec {SMTP_STDIN}>"$SMTP_TMP/stdin"
    local line=""
    # The server prints its ports once all three listen.
    until line=$(grep -m1 '^ready ' "$SMTP_TMP/out" 2>/dev/null); do
        if ! kill -0 "$SMTP_PID" 2>/dev/null; then
            cat "$SMTP_TMP/log" >&2
            echo "error: the SMTP test servers did not start" >&2
            return 1
        fi
        sleep 0.1
    done
    read -r _ SMTP_PLAIN_PORT SMTP_STARTTLS_PORT SMTP_IMPLICIT_PORT <<<"$line"
    export SMTP_HOST=127.0.0.1 SMTP_PLAIN_PORT SMTP_STARTTLS_PORT SMTP_IMPLICIT_PORT SMTP_USER SMTP_PASSWORD
    export SMTP_CA_FILE="$SMTP_TMP/ca.pem" SMTP_MAIL_DIR="$SMTP_TMP/mail"
    echo "aiosmtpd $AIOSMTPD_VERSION on 127.0.0.1: plain $SMTP_PLAIN_PORT, starttls $SMTP_STARTTLS_PORT, implicit $SMTP_IMPLICIT_PORT" >&2
}

smtp_stop() {
    if [ -n "${SMTP_PID:-}" ]; then kill "$SMTP_PID" 2>/dev/null || true; wait "$SMTP_PID" 2>/dev/null || true; fi
    if [ -n "${SMTP_STDIN:-}" ]; then exec {SMTP_STDIN}>&- 2>/dev/null || true; fi
    if [ -n "${SMTP_TMP:-}" ]; then rm -rf "$SMTP_TMP"; fi
    return 0
}
