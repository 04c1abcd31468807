#!/usr/bin/env bash
# Runs every test against a throwaway PostgreSQL, a real SCIM server
# (scim2-server) and real SMTP servers (aiosmtpd), all started and stopped here.
# The several-instance tests start their own nginx (Debian's package,
# installed here) in front of `provisiond serve` processes of this build.
# Extra arguments go to `swift test` (e.g. --filter ProvisioningTests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/scim.sh
source scripts/lib/venv.sh
source scripts/lib/smtp.sh
source scripts/lib/pyairtable.sh
source scripts/lib/build_deps.sh
apt_install_if_missing curl curl
apt_install_if_missing openssl openssl
apt_install_if_missing nginx nginx
trap 'smtp_stop; scim_stop; pg_stop' EXIT
pg_start
scim_start
smtp_start
pyairtable_install
ensure_build_deps
swift build --build-tests
if [ "$#" -gt 0 ]; then
    swift test --skip-build "$@"
else
    # The several-instance tests start their own processes (3 × provisiond,
    # nginx) and measure what reaches the simulator per second: they run on
    # their own after the rest, not beside 300 other tests on two cores.
    swift test --skip-build --skip ClusterTests
    swift test --skip-build --filter ClusterTests
fi
