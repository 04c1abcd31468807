#!/usr/bin/env bash
# Abuse-resistance benchmark (issue 14): what the sign-in throttle's
# reservation costs a login hit and what the failure floor costs a failed
# login, over HTTP against a throwaway PostgreSQL and the in-process
# simulator. Prints one table. Arguments go to `provision-bench abuse`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/build_deps.sh
trap pg_stop EXIT
ensure_build_deps
swift build -c release --product provision-bench --scratch-path .build-release >&2
pg_start
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d)"
# BENCH_COMMAND=code or push runs another bench (scripts/bench-code.sh, scripts/bench-push.sh).
.build-release/release/provision-bench "${BENCH_COMMAND:-abuse}" --database-url "$DATABASE_URL" "$@"
