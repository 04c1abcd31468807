#!/usr/bin/env bash
# Runs every test against a throwaway PostgreSQL and a real SCIM server
# (scim2-server), both started and stopped here.
# Extra arguments go to `swift test` (e.g. --filter ProvisioningTests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/scim.sh
apt_install_if_missing curl curl
trap 'scim_stop; pg_stop' EXIT
pg_start
scim_start
swift build --build-tests
swift test --skip-build "$@"
