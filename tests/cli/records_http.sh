#!/usr/bin/env bash
# tests/cli/records_http.sh: practice's records through the console's API
# (tests/http/test_records.py) against the real server on a loopback port. Ends with
# "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_records.py 120
