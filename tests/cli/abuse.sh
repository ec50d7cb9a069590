#!/usr/bin/env bash
# tests/cli/abuse.sh: the console under abuse (tests/http/test_abuse.py) against the real
# server on a loopback port: idle and slowloris connections, a flood of random sign-ins, a
# foreign Host header, with the figures printed. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
export KINFLOW_BIN=${KINFLOW_BIN:-$PWD/kinflow}
if [ ! -f plugins/console/console.so ]; then
  echo "FAIL console plugin: plugins/console/console.so is not built (run make)"
  echo "0 passed, 1 failed"
  exit 1
fi
KINFLOW_HTTP_PIDS=$(mktemp "${TMPDIR:-/tmp}/kinflow-abuse-pids.XXXXXX")
export KINFLOW_HTTP_PIDS
stop_servers() {
  local pid
  while read -r pid; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; done < "$KINFLOW_HTTP_PIDS"
  rm -f "$KINFLOW_HTTP_PIDS"
}
trap stop_servers EXIT
# A hard stop, well past the suite's usual time.
timeout -k 5 240 python3 tests/http/test_abuse.py
rc=$?
if [ "$rc" -ge 124 ]; then echo "FAIL abuse suite: test_abuse.py was stopped (exit $rc; the limit is 240 s)"; echo "0 passed, 1 failed"; fi
exit "$rc"
