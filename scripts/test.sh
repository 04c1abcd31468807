#!/usr/bin/env bash
# Runs every test against a throwaway PostgreSQL (started and stopped here).
# Extra arguments go to `swift test` (e.g. --filter ProvisioningTests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
trap pg_stop EXIT
pg_start
swift build --build-tests
swift test --skip-build "$@"
