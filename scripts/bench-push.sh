#!/usr/bin/env bash
# Airtable webhook benchmark (issue 18): time from a record created in
# airtable-sim (in-process, 5 requests/s) to its row in a throwaway
# PostgreSQL with nobody logging in: through the webhook, one change at a
# time, beside the poll at sync.interval_s 60 (changes spread over 120 s).
# Prints one table (about 4 minutes). Arguments go to `provision-bench push`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/build_deps.sh
trap pg_stop EXIT
ensure_build_deps
swift build -c release --product provision-bench --scratch-path .build-release >&2
pg_start
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d)"
.build-release/release/provision-bench push --database-url "$DATABASE_URL" --port "$(pg_free_port)" "$@"
