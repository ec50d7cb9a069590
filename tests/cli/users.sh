#!/usr/bin/env bash
# tests/cli/users.sh: accounts managed through the API (tests/http/test_users.py): roles,
# disabling, password resets and changes. Ends with "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_users.py 120
