#!/usr/bin/env bash
# The console's HTTP suite (tests/http/), run with the CLI suites by tests/run.sh.
exec bash "$(dirname "$0")/../http/run.sh"
