#!/usr/bin/env bash
# tests/http/run.sh: the console's HTTP tests (test_api.py) against the real server on a
# loopback port. KINFLOW_BIN is the binary under test. Ends with "N passed, N failed".
# test_api.py stops its servers itself; should it be killed, the trap stops them here.
set -u
cd "$(dirname "$0")/../.."
export KINFLOW_BIN=${KINFLOW_BIN:-$PWD/kinflow}
if [ ! -f plugins/console/console.so ]; then
  echo "FAIL console plugin: plugins/console/console.so is not built (run make)"
  echo "0 passed, 1 failed"
  exit 1
fi
KINFLOW_HTTP_PIDS=$(mktemp "${TMPDIR:-/tmp}/kinflow-http-pids.XXXXXX")
export KINFLOW_HTTP_PIDS
stop_servers() {
  local pid
  while read -r pid; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; done < "$KINFLOW_HTTP_PIDS"
  rm -f "$KINFLOW_HTTP_PIDS"
}
trap stop_servers EXIT
# The contract check's npm packages (tests/http/packages.sh), before the clock starts.
bash tests/http/packages.sh
# A hard stop, well past the suite's usual time.
timeout -k 5 120 python3 tests/http/test_api.py
rc=$?
if [ "$rc" -ge 124 ]; then echo "FAIL http suite: test_api.py was stopped (exit $rc; the limit is 120 s)"; echo "0 passed, 1 failed"; fi
exit "$rc"
