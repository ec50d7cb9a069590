#!/usr/bin/env bash
# tests/cli/group_http.sh: the console's writes through its one writer, in groups
# (tests/http/test_group.py), against the real server on a loopback port. Ends with
# "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_group.py 180
