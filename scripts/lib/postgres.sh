# Throwaway PostgreSQL cluster: sourced by scripts/test.sh and scripts/demo.sh.
# pg_start: installs PostgreSQL when missing, starts a cluster as a non-root
# user on a free port (no fsync, unix socket in a temp dir) and exports
# DATABASE_URL, PG_ADMIN_URL, PGBIN, PG_PORT. pg_stop: stops and removes it.

# apt_install_if_missing COMMAND PACKAGE: install PACKAGE when COMMAND is absent (as root).
apt_install_if_missing() {
    command -v "$1" >/dev/null 2>&1 && return 0
    [ "$(id -u)" -eq 0 ] || { echo "error: $1 is missing; run: sudo apt-get install -y $2" >&2; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2
}

pg_find_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    return 1
}

pg_install_if_missing() {
    pg_find_bin >/dev/null && return 0
    echo "PostgreSQL not found: installing it with apt-get" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: PostgreSQL is not installed and this is not root; run: sudo apt-get install -y postgresql" >&2
        return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

pg_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Run a command as the cluster's owner: root cannot run the server.
pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    pg_install_if_missing
    PGBIN=$(pg_find_bin)
    PG_TMP=$(mktemp -d /tmp/provisiond-pg.XXXXXX)
    mkdir -p "$PG_TMP/data" "$PG_TMP/sock"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$PG_TMP"
    chmod 700 "$PG_TMP/data"
    PG_PORT=$(pg_free_port)
    pg_as_owner "$PGBIN/initdb" -D "$PG_TMP/data" -U postgres --auth=trust -E UTF8 --no-sync >"$PG_TMP/initdb.log" 2>&1 \
        || { cat "$PG_TMP/initdb.log" >&2; return 1; }
    pg_as_owner "$PGBIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 30 \
        -o "-k $PG_TMP/sock -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=800" \
        start >/dev/null || { cat "$PG_TMP/server.log" >&2; return 1; }
    "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qAt -c "CREATE DATABASE provision" >/dev/null
    export PGBIN PG_PORT PG_TMP
    export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/provision"
    export PG_ADMIN_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (data in $PG_TMP)" >&2
}

pg_stop() {
    [ -n "${PG_TMP:-}" ] || return 0
    pg_as_owner "$PGBIN/pg_ctl" -D "$PG_TMP/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
    PG_TMP=""
}
