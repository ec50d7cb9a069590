#!/usr/bin/env bash
# tests/cli/import_http.sh: bulk import through the console's API (tests/http/test_import.py)
# against the real server on a loopback port. Ends with "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_import.py 180
