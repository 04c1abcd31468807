# A real SCIM 2.0 service provider for the tests: scim2-server (PyPI, serves
# SCIM resources from memory). Sourced by scripts/test.sh.
# scim_start: installs it into its own virtual environment when missing,
# starts it on a free port with a bearer token and exports SCIM_URL and
# SCIM_TOKEN. scim_stop: stops it.
SCIM2_SERVER_VERSION=0.8.3
SCIM_VENV=${SCIM_VENV:-$HOME/.cache/provisiond/scim2-server-$SCIM2_SERVER_VERSION}

scim_start() {
    if [ ! -x "$SCIM_VENV/bin/scim2-server" ]; then
        echo "installing scim2-server $SCIM2_SERVER_VERSION into $SCIM_VENV" >&2
        python3 -m venv "$SCIM_VENV"
        "$SCIM_VENV/bin/pip" install -q --disable-pip-version-check "scim2-server==$SCIM2_SERVER_VERSION" >&2
    fi
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    SCIM_TOKEN="scim-test-token-$(date +%s)"
    SCIM_LOG=$(mktemp /tmp/provisiond-scim.XXXXXX.log)
    "$SCIM_VENV/bin/scim2-server" --hostname 127.0.0.1 --port "$port" --bearer-token "$SCIM_TOKEN" >"$SCIM_LOG" 2>&1 &
    SCIM_PID=$!
    local tries=0
    until curl -fsS -o /dev/null -H "Authorization: Bearer $SCIM_TOKEN" "http://127.0.0.1:$port/ServiceProviderConfig"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ] || ! kill -0 "$SCIM_PID" 2>/dev/null; then
            cat "$SCIM_LOG" >&2
            echo "error: scim2-server did not start" >&2
            return 1
        fi
        sleep 0.1
    done
    export SCIM_URL="http://127.0.0.1:$port" SCIM_TOKEN SCIM_PID
    echo "scim2-server $SCIM2_SERVER_VERSION on $SCIM_URL" >&2
}

scim_stop() {
    if [ -n "${SCIM_PID:-}" ]; then kill "$SCIM_PID" 2>/dev/null || true; wait "$SCIM_PID" 2>/dev/null || true; fi
    return 0
}
