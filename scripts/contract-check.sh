#!/usr/bin/env bash
# Contract check: runs Schemathesis against openapi.yaml and a live stack
# (a throwaway PostgreSQL, airtable-sim seeded with demo/airtable-seed.yaml,
# `provisiond serve`). Fails on any 5xx, any status code, content type, body or
# header that openapi.yaml does not describe.
#
# Environment:
#   SCHEMATHESIS_VENV      where Schemathesis is installed if missing (default /tmp/provisiond-schemathesis-venv)
#   SCHEMATHESIS_VERSION   the version installed into it (default: a tested 4.x)
#   MAX_EXAMPLES           test cases per operation and phase (default 200; 500 digs deeper, ~2 min)
#   SEED                   Hypothesis seed, to reproduce a run (default: random, printed by Schemathesis)
#   CONTRACT_CHECK_KEEP    1 keeps the logs directory (its path is printed)
# Extra arguments go to `schemathesis run` (e.g. --include-path /api/auth/login).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/sim.sh
source scripts/lib/build_deps.sh
apt_install_if_missing curl curl

SCHEMATHESIS_VENV=${SCHEMATHESIS_VENV:-/tmp/provisiond-schemathesis-venv}
SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}
MAX_EXAMPLES=${MAX_EXAMPLES:-200}

WORK=$(mktemp -d /tmp/provisiond-contract.XXXXXX)
PIDS=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    pg_stop
    if [ "$status" -ne 0 ] && [ -f "$WORK/provisiond.log" ]; then
        echo "--- last lines of the provisiond log ($WORK/provisiond.log) ---" >&2
        tail -n 40 "$WORK/provisiond.log" >&2 || true
    fi
    if [ "${CONTRACT_CHECK_KEEP:-0}" = 1 ] || [ "$status" -ne 0 ]; then
        echo "logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. Schemathesis, in its own virtual environment.
# anyio is pinned below 4.15: its lazy importer calls compile() deep in
# Schemathesis' call stack, where CPython 3.11 can raise "SystemError: AST
# constructor recursion depth mismatch" (seen once in CI as a Runtime Error).
ANYIO_VERSION=4.14.0
if ! "$SCHEMATHESIS_VENV/bin/schemathesis" --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$" \
    || ! "$SCHEMATHESIS_VENV/bin/pip" show anyio 2>/dev/null | grep -q "^Version: $ANYIO_VERSION\$"; then
    echo "installing schemathesis $SCHEMATHESIS_VERSION into $SCHEMATHESIS_VENV" >&2
    python3 -m venv "$SCHEMATHESIS_VENV"
    "$SCHEMATHESIS_VENV/bin/pip" install -q --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" "anyio==$ANYIO_VERSION" >&2
fi
# The Prometheus project's own parser, for the management listener's /metrics.
"$SCHEMATHESIS_VENV/bin/python" -c 'import prometheus_client' 2>/dev/null \
    || "$SCHEMATHESIS_VENV/bin/pip" install -q --disable-pip-version-check "prometheus_client==0.21.1" >&2
"$SCHEMATHESIS_VENV/bin/schemathesis" --version >&2

# 2. The binaries.
ensure_build_deps
swift build --product provisiond >&2
swift build --product airtable-sim >&2
BIN=$(swift build --show-bin-path)

# 3. The stack.
pg_start

export AIRTABLE_TOKEN=patContractCheck.0123456789abcdef
export AIRTABLE_BASE_ID=appSim00000000001
export WEBHOOK_SECRET=whsec_Y29udHJhY3QtY2hlY2std2ViaG9vay1zZWNyZXQ=
export WEBHOOK_TOKEN=contract-check-shared-token-0123456789

# --rate-limit 0: the simulator never answers 429, so a 503 can only be the service's fault.
sim_start "$BIN" "$WORK" --seed demo/airtable-seed.yaml --rate-limit 0

# The service's config: the default pipeline, with Airtable's budget far above
# what the fuzzer sends (it is never the bottleneck), no background sync, the
# cheapest bcrypt cost, and no per-address login throttle (every request comes
# from 127.0.0.1). The per-email throttle stays, so 429 is exercised, with a
# short window, so that the seeded users can still log in between bursts.
cat >"$WORK/providers.yaml" <<YAML
version: 1
providers:
  - name: app_db
    kind: postgres
    url: \${DATABASE_URL}
    pool_size: 10
  - name: airtable
    kind: airtable
    api_url: \${AIRTABLE_API_URL}
    token: \${AIRTABLE_TOKEN}
    base: \${AIRTABLE_BASE_ID}
    table: Users
    timeout_ms: 5000
    requests_per_second: 1000
    fields:
      email: Email
      display_name: Name
      role: Role
      password_hash: Password Hash
      modified_at: Last Modified
    webhook:
      notification_url: \${AIRTABLE_WEBHOOK_URL}
resolution:
  order: [app_db, airtable]
  negative_cache_s: 30
webhook:
  path: /api/sync/users/inbound
  max_body_bytes: 65536
  schemes:
    - kind: hmac-sha256
      secrets: ["\${WEBHOOK_SECRET}"]
      tolerance_s: 300
    - kind: shared-token
      header: X-Webhook-Token
      tokens: ["\${WEBHOOK_TOKEN}"]
sync:
  interval_s: 0
  reconcile_interval_s: 0
auth:
  bcrypt_cost: 10
  max_failed_logins_per_address: 1000000000
  failed_login_window_s: 2
  # The failure floor would default to the 5 s timeout above plus bcrypt on
  # every generated 401; the floor itself is tested in the suite.
  min_failure_ms: 300
credentials:
  - kind: password
  - kind: email_code
    mailer:
      kind: file
      directory: \${MAIL_DIR}
  # No identity provider listens on port 9: well-formed tokens get 503, others 401.
  - kind: oidc
    issuer: http://127.0.0.1:9
    client_id: contract-check
YAML
export MAIL_DIR="$WORK/mail"
export AIRTABLE_API_URL

PORT=$(pg_free_port)
MANAGEMENT_PORT=$(pg_free_port)
BASE_URL="http://127.0.0.1:$PORT"
export AIRTABLE_WEBHOOK_URL="$BASE_URL/api/sync/sources/airtable/notify"
"$BIN/provisiond" serve --config "$WORK/providers.yaml" --port "$PORT" --management-port "$MANAGEMENT_PORT" >"$WORK/provisiond.log" 2>&1 &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
ready=""
for _ in $(seq 1 150); do
    if curl -fsS "$BASE_URL/readyz" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "${PIDS[1]}" 2>/dev/null || break
    sleep 0.2
done
[ -n "$ready" ] || { echo "provisiond did not become ready on $BASE_URL" >&2; exit 1; }

# An access token of a seeded user, for GET/PATCH /api/auth/me (bearerAuth).
login=$(curl -fsS -X POST "$BASE_URL/api/auth/login" -H 'Content-Type: application/json' \
    -d '{"email": "ada@example.com", "password": "demo-password"}') \
    || { echo "login of the seeded user failed" >&2; exit 1; }
ACCESS_TOKEN=$(printf '%s' "$login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# Schemathesis' configuration: the bearer token; and, with some probability,
# values that get past the first check of each route, so that fuzzing reaches
# the code behind it: the seeded users' emails and password for login, the
# shared webhook token, and seeded emails in webhook events; and strings
# that are hard to store.
cat >"$WORK/schemathesis.toml" <<TOML
[auth.openapi.bearerAuth]
bearer = "$ACCESS_TOKEN"

[dictionaries.seeded_emails]
values = ["ada@example.com", "grace@example.com", "alan@example.com", "Alan@Example.com "]
[dictionaries.seeded_password]
values = ["demo-password"]
[dictionaries.webhook_token]
values = ["$WEBHOOK_TOKEN"]
# Strings a text column may refuse (PostgreSQL text cannot hold U+0000).
[dictionaries.edge_strings]
values = ["\\u0000", "a\\u0000b", "Zo\\u00eb \\U0001F642", "'; DROP TABLE users; --"]

[parameters]
"body.email" = { dictionary = "seeded_emails", probability = 0.3 }
"body.password" = { dictionary = "seeded_password", probability = 0.5 }
"body.record.fields.Email" = { dictionary = "seeded_emails", probability = 0.3 }
"header.X-Webhook-Token" = { dictionary = "webhook_token", probability = 0.7 }
"body.display_name" = { dictionary = "edge_strings", probability = 0.2 }
"body.refresh_token" = { dictionary = "edge_strings", probability = 0.1 }
"body.id" = { dictionary = "edge_strings", probability = 0.1 }
"body.record.id" = { dictionary = "edge_strings", probability = 0.1 }
"body.record.fields.Name" = { dictionary = "edge_strings", probability = 0.2 }
TOML

# 4. The run.
echo "schemathesis against $BASE_URL (airtable-sim at $AIRTABLE_API_URL)" >&2
seed_args=()
[ -n "${SEED:-}" ] && seed_args=(--seed "$SEED")
started=$(date +%s)
status=0
"$SCHEMATHESIS_VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run openapi.yaml \
    --url "$BASE_URL" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "$MAX_EXAMPLES" \
    --workers 2 \
    --request-timeout 10 \
    --generation-database none \
    --report junit,har --report-dir "$WORK/report" --report-har-path "$WORK/report/responses.har" \
    --no-color \
    "${seed_args[@]}" "$@" || status=$?
echo "schemathesis finished in $(( $(date +%s) - started )) s with exit code $status" >&2
# What the service answered, by operation and status (from the HAR report).
python3 - "$WORK/report/responses.har" <<'PY' >&2 || true
import collections, json, sys, urllib.parse
counts = collections.defaultdict(collections.Counter)
for path in sys.argv[1:]:
    for entry in json.load(open(path))["log"]["entries"]:
        request = entry["request"]
        counts[(urllib.parse.urlsplit(request["url"]).path, request["method"])][entry["response"]["status"]] += 1
print("responses by operation:")
for (path, method), statuses in sorted(counts.items()):
    print(f"  {method:6} {path:28} " + "  ".join(f"{code}x{n}" for code, n in sorted(statuses.items())))
PY
[ "$status" -eq 0 ] || exit "$status"

# 4b. Metrics live on the management listener, parsed by prometheus_client;
# the public port does not serve them (observability.public_metrics is off).
public_metrics=$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/metrics")
[ "$public_metrics" = "404" ] || { echo "public /metrics answered $public_metrics, expected 404" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$MANAGEMENT_PORT/healthz" >/dev/null || { echo "management /healthz failed" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$MANAGEMENT_PORT/metrics" | "$SCHEMATHESIS_VENV/bin/python" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
names = {family.name for family in text_string_to_metric_families(sys.stdin.read())}
required = {"auth_readthrough_attempts", "auth_readthrough_success", "webhook_user_events_processed",
            "webhook_user_events_replayed", "webhook_user_events_failed"}
missing = required - names
shown = ", ".join(sorted(missing)) or "none"
print(f"management /metrics: {len(names)} families parsed by prometheus_client; contract counters missing: {shown}", file=sys.stderr)
sys.exit(1 if missing else 0)' || { echo "management /metrics check failed" >&2; exit 1; }

# 5. SIGTERM drains in-flight requests: a read-through login held up by a slow
# "Airtable" (1.5 s) is in flight when the service is told to stop; it must
# still be answered 200, and the process must then exit 0.
curl -fsS -X POST "$AIRTABLE_API_URL/v0/$AIRTABLE_BASE_ID/Users" -H "Authorization: Bearer $AIRTABLE_TOKEN" \
    -H 'Content-Type: application/json' \
    -d '{"fields": {"Email": "drain@example.com", "Password Hash": "$2b$10$OwX9Ifgd2sFcUxmsLTXFn.oRph9yHb4AX7uJ091loGsiEeDhXTac6"}}' >/dev/null
curl -fsS -X POST "$AIRTABLE_API_URL/_sim/latency" -H 'Content-Type: application/json' -d '{"fixed_ms": 1500, "jitter_ms": 0}' >/dev/null
curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE_URL/api/auth/login" -H 'Content-Type: application/json' \
    -d '{"email": "drain@example.com", "password": "demo-password"}' >"$WORK/drain.code" &
DRAIN_CURL=$!
sleep 0.5
kill -TERM "$SERVE_PID"
wait "$DRAIN_CURL" || true
serve_status=0
wait "$SERVE_PID" || serve_status=$?
drain_code=$(cat "$WORK/drain.code")
echo "drain check: in-flight login answered $drain_code; provisiond exited $serve_status after SIGTERM" >&2
[ "$drain_code" = "200" ] && [ "$serve_status" -eq 0 ] || { echo "drain check failed" >&2; exit 1; }
exit 0
