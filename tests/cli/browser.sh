#!/usr/bin/env bash
# tests/cli/browser.sh: the console's browser tests, so that tests/run.sh (make test) runs them.
exec "$(dirname "${BASH_SOURCE[0]}")/../browser/run.sh" "$@"
