#!/usr/bin/env bash
# Airtable webhook benchmark (issue 18): time from a record created in
# airtable-sim (in-process, 5 requests/s) to its row in a throwaway
# PostgreSQL with nobody logging in: through the webhook, one change at a
# time, beside the poll at sync.interval_s 60 (changes spread over 120 s).
# Prints one table (about 4 minutes). Arguments go to `provision-bench push`.
set -euo pipefail
source "$(dirname "$0")/lib/postgres.sh"
BENCH_COMMAND=push exec bash "$(dirname "$0")/bench-abuse.sh" --port "$(pg_free_port)" "$@"
