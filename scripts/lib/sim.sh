# airtable-sim for the scripts: sourced by demo.sh, bench.sh and contract-check.sh.
# sim_start BIN LOGDIR [airtable-sim flags...]: starts it on a free port with
# $AIRTABLE_TOKEN and $AIRTABLE_BASE_ID, waits for "listening on", exports
# AIRTABLE_API_URL and appends its pid to the caller's PIDS array.
sim_start() {
    local bin=$1 logs=$2
    shift 2
    "$bin/airtable-sim" --port 0 --token "$AIRTABLE_TOKEN" --base "$AIRTABLE_BASE_ID" --table Users "$@" \
        >"$logs/sim.out" 2>"$logs/sim.err" &
    PIDS+=($!)
    AIRTABLE_API_URL=""
    for _ in $(seq 1 100); do
        AIRTABLE_API_URL=$(sed -n 's/^listening on //p' "$logs/sim.out" 2>/dev/null | head -1)
        [ -n "$AIRTABLE_API_URL" ] && break
        sleep 0.1
    done
    [ -n "$AIRTABLE_API_URL" ] || { echo "airtable-sim did not start" >&2; cat "$logs/sim.err" >&2; return 1; }
    export AIRTABLE_API_URL
}
