#!/usr/bin/env bash
# tests/http/run.sh [TEST [LIMIT]]: one HTTP suite (tests/http/TEST, default test_api.py)
# against the real server on a loopback port, stopped after LIMIT seconds (default 120).
# KINFLOW_BIN is the binary under test. Ends with "N passed, N failed".
# The suite stops its servers itself; should it be killed, the trap stops them here.
set -u
test=${1:-test_api.py}
limit=${2:-120}
cd "$(dirname "$0")/../.."
export KINFLOW_BIN=${KINFLOW_BIN:-$PWD/kinflow}
if [ ! -f plugins/console/console.so ]; then
  echo "FAIL console plugin: plugins/console/console.so is not built (run make)"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -f "tests/http/$test" ]; then
  echo "FAIL http suite: tests/http/$test does not exist"
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
timeout -k 5 "$limit" python3 "tests/http/$test"
rc=$?
if [ "$rc" -ge 124 ]; then echo "FAIL http suite: $test was stopped (exit $rc; the limit is $limit s)"; echo "0 passed, 1 failed"; fi
exit "$rc"
