#!/usr/bin/env bash
# Store benchmark (issue 3): upserts/s at 1 and 16 tasks beside pgbench
# single-row insert TPS, same server, same run. Prints one table.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/pgbench.sh
source scripts/lib/build_deps.sh
trap pg_stop EXIT
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
ensure_build_deps
swift build -c release --product provision-bench --scratch-path .build-release >&2
pg_start
pgbench_prepare
TPS1=$(pgbench_insert_tps 1 "$SECONDS_PER_RUN")
TPS16=$(pgbench_insert_tps 16 "$SECONDS_PER_RUN")
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%Y-%m-%d); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') (fsync off)"
.build-release/release/provision-bench store --database-url "$DATABASE_URL" --seconds "$SECONDS_PER_RUN" --pgbench "$TPS1,$TPS16"
