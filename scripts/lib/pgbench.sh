# pgbench single-row INSERT TPS on the throwaway cluster of postgres.sh (the
# reference the store and service benchmarks compare against).
# pgbench_prepare: creates database pgbench_db with table bench_users.
# pgbench_insert_tps CLIENTS SECONDS: prints the TPS of `INSERT INTO
# bench_users` (unique email, one row per transaction) at CLIENTS clients.

pgbench_prepare() {
    local psql="$PGBIN/psql -h 127.0.0.1 -p $PG_PORT -U postgres -qAt"
    $psql -d postgres -c "CREATE DATABASE pgbench_db" >/dev/null
    $psql -d pgbench_db -c "CREATE TABLE bench_users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, display_name text)" >/dev/null
    PGBENCH_SCRIPT="$PG_TMP/pgbench-insert.sql"
    echo "INSERT INTO bench_users (email, display_name) VALUES ('u' || :client_id || '-' || random() || '@bench.example', 'User');" > "$PGBENCH_SCRIPT"
}

pgbench_insert_tps() {
    "$PGBIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -f "$PGBENCH_SCRIPT" -c "$1" -j "$1" -T "$2" pgbench_db 2>/dev/null \
        | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1
}
