#!/usr/bin/env bash
# tests/cli/migrate_http.sh: programme versions through the console's API
# (tests/http/test_migrate.py) against the real server on a loopback port. Ends with
# "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_migrate.py 180
