#!/usr/bin/env bash
# Emailed-code sign-in benchmark (issue 16): code start and verify beside a
# password login, over HTTP against a throwaway PostgreSQL, mailer `file`.
# Prints one table. Arguments go to `provision-bench code`.
BENCH_COMMAND=code exec bash "$(dirname "$0")/bench-abuse.sh" "$@"
