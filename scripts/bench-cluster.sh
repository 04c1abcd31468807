#!/usr/bin/env bash
# Several-instance benchmark (issue 17): 1, 2 and 3 release `provisiond serve`
# processes on one throwaway PostgreSQL behind Debian's nginx, against an
# in-process airtable-sim enforcing 5 requests per second (30 s penalty).
# Prints two tables. Arguments go to `provision-bench cluster`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/build_deps.sh
trap pg_stop EXIT
apt_install_if_missing nginx nginx
ensure_build_deps
for product in provision-bench provisiond; do
    swift build -c release --product "$product" --scratch-path .build-release >&2
done
pg_start
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d)"
.build-release/release/provision-bench cluster --database-url "$DATABASE_URL" --provisiond .build-release/release/provisiond "$@"
