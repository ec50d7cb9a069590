#!/usr/bin/env bash
# tests/cli/access.sh: who sees what (tests/http/test_access.py) against the real server on
# a loopback port: teams, allocation, scoped reads, break-the-glass and its expiry, private
# values withheld on every path, the read audit. Ends with "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_access.py 180
