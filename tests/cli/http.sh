#!/usr/bin/env bash
# The console's HTTP suite (tests/http/test_api.py), run with the CLI suites by tests/run.sh.
exec bash "$(dirname "$0")/../http/run.sh" test_api.py 120
