#!/usr/bin/env bash
# Store benchmark (issue 3): upserts/s at 1 and 16 tasks beside pgbench
# single-row insert TPS, same server, same run. Prints one table.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
trap pg_stop EXIT
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
swift build -c release --product provision-bench --scratch-path .build-release >&2
pg_start
PSQL="$PGBIN/psql -h 127.0.0.1 -p $PG_PORT -U postgres -qAt"
$PSQL -d postgres -c "CREATE DATABASE pgbench_db" >/dev/null
$PSQL -d pgbench_db -c "CREATE TABLE bench_users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, display_name text)" >/dev/null
SCRIPT=$(mktemp)
echo "INSERT INTO bench_users (email, display_name) VALUES ('u' || :client_id || '-' || random() || '@bench.example', 'User');" > "$SCRIPT"
tps() {
    "$PGBIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -f "$SCRIPT" -c "$1" -j "$1" -T "$SECONDS_PER_RUN" pgbench_db 2>/dev/null \
        | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1
}
TPS1=$(tps 1)
TPS16=$(tps 16)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%Y-%m-%d); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') (fsync off)"
.build-release/release/provision-bench store --database-url "$DATABASE_URL" --seconds "$SECONDS_PER_RUN" --pgbench "$TPS1,$TPS16"
