#!/usr/bin/env bash
# The demo: a throwaway PostgreSQL, airtable-sim seeded with four users (one
# with no password hash, who signs in by emailed code; mail goes to .eml files), and
# `provisiond serve` on top. Prints commands to try; Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/sim.sh
source scripts/lib/build_deps.sh
apt_install_if_missing curl curl

PORT=${PORT:-8080}
MANAGEMENT_PORT=${MANAGEMENT_PORT:-9000}
PIDS=()
cleanup() {
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    pg_stop
    echo "demo stopped" >&2
}
trap cleanup EXIT INT TERM

echo "building (the first build takes about 11 minutes)..." >&2
ensure_build_deps
swift build --product provisiond >&2
swift build --product airtable-sim >&2
BIN=$(swift build --show-bin-path)

pg_start

export AIRTABLE_TOKEN=patDemoToken.0123456789abcdef
export AIRTABLE_BASE_ID=appSim00000000001
export WEBHOOK_SECRET=whsec_ZGVtby13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5
export WEBHOOK_TOKEN=demo-shared-token-0123456789
# airtable-sim pings this URL after each change (Airtable's own webhook, CONTRACT.md §9)
export AIRTABLE_WEBHOOK_URL="http://127.0.0.1:$PORT/api/sync/sources/airtable/notify"
mkdir -p "$PG_TMP/logs"
export MAIL_DIR="$PG_TMP/mail"
sim_start "$BIN" "$PG_TMP/logs" --seed demo/airtable-seed.yaml

"$BIN/provisiond" serve --config providers.yaml --port "$PORT" --management-port "$MANAGEMENT_PORT" &
PIDS+=($!)
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

cat >&2 <<INFO

provisiond is listening on http://127.0.0.1:$PORT (JSON logs below); /metrics on http://127.0.0.1:$MANAGEMENT_PORT
airtable-sim is at $AIRTABLE_API_URL (base $AIRTABLE_BASE_ID, table Users)
PostgreSQL: $DATABASE_URL

Try, in another terminal:
  curl -s http://127.0.0.1:$PORT/readyz
  # katherine@example.com is only in "Airtable", with no password hash: she signs in by emailed code
  curl -s -X POST http://127.0.0.1:$PORT/api/auth/code/start -H 'Content-Type: application/json' \\
       -d '{"email": "katherine@example.com"}'
  # the mail is an .eml file in $MAIL_DIR; take the code from it
  CODE=\$(until grep -ho 'code is [0-9]\\+' $MAIL_DIR/*.eml 2>/dev/null | tail -1 | grep -o '[0-9]\\+\$'; do sleep 0.2; done); echo "code: \$CODE"
  ACCESS=\$(curl -s -X POST http://127.0.0.1:$PORT/api/auth/code/verify -H 'Content-Type: application/json' \\
       -d "{\\"email\\": \\"katherine@example.com\\", \\"code\\": \\"\$CODE\\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\\1/'); echo "\$ACCESS"
  # she sets a password (no current one needed within 10 minutes of a code sign-in), then logs in with it
  curl -s -o /dev/null -w '%{http_code}\\n' -X POST http://127.0.0.1:$PORT/api/auth/password -H "Authorization: Bearer \$ACCESS" \\
       -H 'Content-Type: application/json' -d '{"password": "katherine-password"}'
  curl -s -X POST http://127.0.0.1:$PORT/api/auth/login -H 'Content-Type: application/json' \\
       -d '{"email": "katherine@example.com", "password": "katherine-password"}'
  # create a user in "Airtable" (the simulator); the password is demo-password
  curl -s -X POST "$AIRTABLE_API_URL/v0/$AIRTABLE_BASE_ID/Users" -H "Authorization: Bearer $AIRTABLE_TOKEN" \\
       -H 'Content-Type: application/json' \\
       -d '{"fields": {"Email": "new@example.com", "Name": "New User", "Role": "viewer", "Password Hash": "\$2b\$10\$OwX9Ifgd2sFcUxmsLTXFn.oRph9yHb4AX7uJ091loGsiEeDhXTac6"}}'
  # log in as that user at once (read-through provisioning)
  curl -s -X POST http://127.0.0.1:$PORT/api/auth/login -H 'Content-Type: application/json' \\
       -d '{"email": "new@example.com", "password": "demo-password"}'
  # the user is now in PostgreSQL
  $PGBIN/psql "$DATABASE_URL" -c 'SELECT email, display_name, role, airtable_record_id FROM provisiond.users'
  # Airtable's own webhook: provisiond registered it with the simulator at start (see "webhooks" in /readyz).
  # Create a user in the simulator and, without any login, it is in PostgreSQL within a second:
  curl -s -X POST "$AIRTABLE_API_URL/v0/$AIRTABLE_BASE_ID/Users" -H "Authorization: Bearer $AIRTABLE_TOKEN" \\
       -H 'Content-Type: application/json' -d '{"fields": {"Email": "pushed@example.com", "Name": "Pushed User", "Role": "viewer"}}'
  sleep 1; $PGBIN/psql "$DATABASE_URL" -c "SELECT email, display_name, deleted_at FROM provisiond.users WHERE email = 'pushed@example.com'"
  curl -s "$AIRTABLE_API_URL/v0/bases/$AIRTABLE_BASE_ID/webhooks" -H "Authorization: Bearer $AIRTABLE_TOKEN"
  # send a signed user.created webhook (provisiond sign-event computes the Standard Webhooks signature)
  EVENT='{"id":"evt_demo_1","type":"user.created","occurred_at":"2026-11-26T10:15:00Z","record":{"id":"recDemoHook000001","fields":{"Email":"hook@example.com","Name":"Hook User","Role":"viewer"}}}'
  eval "\$($BIN/provisiond sign-event --secret $WEBHOOK_SECRET --body "\$EVENT" --curl http://127.0.0.1:$PORT/api/sync/users/inbound)"
  # replay it (run the same line again): "status":"replayed", no second effect
  eval "\$($BIN/provisiond sign-event --secret $WEBHOOK_SECRET --body "\$EVENT" --curl http://127.0.0.1:$PORT/api/sync/users/inbound)"
  # metrics are on the management listener, not the public port
  curl -s http://127.0.0.1:$MANAGEMENT_PORT/metrics | grep -E '^(auth|webhook|airtable_webhook)_'

Ctrl-C stops provisiond, the simulator and PostgreSQL.
INFO
wait "${PIDS[1]}"
