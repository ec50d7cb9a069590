#!/usr/bin/env bash
# tests/cli/reports_api.sh: the console's reports (tests/http/test_reports.py) against the real
# server on a loopback port. Ends with "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_reports.py 120
