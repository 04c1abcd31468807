#!/usr/bin/env bash
# Service benchmark (issue 8): the whole service over HTTP on 127.0.0.1.
# A throwaway PostgreSQL; pgbench single-row INSERT TPS at 1 and 16 clients;
# then `provision-bench service` (release build) prints one table, all rows
# from one run, with pgbench's figures beside the webhook row. Afterwards the
# idle RSS of the real `provisiond serve` (release, providers.yaml, against
# the same PostgreSQL and the airtable-sim executable) is read once /readyz
# answers. Arguments are passed on to `provision-bench service`.
# Environment: SECONDS_PER_RUN (5), SIM_LATENCY_MS (20).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/pgbench.sh
source scripts/lib/sim.sh
source scripts/lib/build_deps.sh

SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
SIM_LATENCY_MS=${SIM_LATENCY_MS:-20}
PIDS=()
cleanup() {
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    pg_stop
}
trap cleanup EXIT INT TERM

for product in provision-bench provisiond airtable-sim; do
    ensure_build_deps
    swift build -c release --product "$product" --scratch-path .build-release >&2
done
BIN=.build-release/release

pg_start
pgbench_prepare
TPS1=$(pgbench_insert_tps 1 "$SECONDS_PER_RUN")
TPS16=$(pgbench_insert_tps 16 "$SECONDS_PER_RUN")
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') (fsync off); pgbench INSERT TPS: $TPS1 (1 client), $TPS16 (16 clients)"
"$BIN/provision-bench" service --database-url "$DATABASE_URL" --pgbench "$TPS1,$TPS16" \
    --seconds "$SECONDS_PER_RUN" --sim-latency-ms "$SIM_LATENCY_MS" "$@"

# Idle RSS of provisiond alone: the real executable, nothing else in the process.
"$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qAt -d postgres -c "CREATE DATABASE provision_rss" >/dev/null
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/provision_rss"
export AIRTABLE_TOKEN=patBenchToken.0123456789abcdef
export AIRTABLE_BASE_ID=appSim00000000001
export WEBHOOK_SECRET=whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc4OQ==
export WEBHOOK_TOKEN=bench-shared-token-0123456789
sim_start "$BIN" "$PG_TMP"
PORT=$(pg_free_port)
"$BIN/provisiond" serve --config providers.yaml --port "$PORT" --management-port "$(pg_free_port)" >"$PG_TMP/provisiond.out" 2>&1 &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
READY=""
for _ in $(seq 1 150); do
    if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then READY=yes; break; fi
    sleep 0.2
done
[ -n "$READY" ] || { echo "provisiond did not become ready:" >&2; tail -20 "$PG_TMP/provisiond.out" >&2; exit 1; }
sleep 1
awk '/^(VmRSS|RssAnon|RssFile):/ { kb[substr($1, 1, length($1) - 1)] = $2 }
    END { printf "provisiond idle RSS: %.1f MiB (anon %.1f, file %.1f; release `provisiond serve --config providers.yaml`, 1 s after /readyz answered; target <= 50 MiB)\n", kb["VmRSS"] / 1024, kb["RssAnon"] / 1024, kb["RssFile"] / 1024 }' \
    "/proc/$SERVE_PID/status"
