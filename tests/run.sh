#!/usr/bin/env bash
# tests/run.sh: every suite: C unit tests, CLI end-to-end tests, the sandbox corpus, the
# programme library's scenarios. Each suite ends with "N passed, N failed"; this sums them
# into the one last line.
set -u
cd "$(dirname "$0")/.."
K=${KINFLOW_BIN:-$PWD/kinflow}
UNIT_DIR=${UNIT_DIR:-$PWD/build/tests}
export KINFLOW_BIN=$K
pass=0; fail=0; broken=""
suite() {  # suite NAME CMD...
  local name=$1; shift
  echo "== $name"
  local out rc
  out=$("$@" 2>&1); rc=$?
  echo "$out" | grep -v '^ok ' || true
  local last; last=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
  if [ -z "$last" ]; then
    echo "suite $name ended without a summary (exit $rc)"; fail=$((fail + 1)); broken="$broken $name"; return
  fi
  local p f; p=${last%% passed*}; f=${last#*, }; f=${f%% failed}
  pass=$((pass + p)); fail=$((fail + f))
  [ "$f" -gt 0 ] && broken="$broken $name"
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then echo "suite $name exited $rc"; fail=$((fail + 1)); broken="$broken $name"; fi
}
for t in "$UNIT_DIR"/*; do [ -x "$t" ] && suite "unit/$(basename "$t")" "$t"; done
for t in tests/cli/*.sh tests/sandbox/run.sh; do [ -f "$t" ] && suite "${t#tests/}" bash "$t"; done
suite "scenarios" "$K" test workflows
[ -n "$broken" ] && echo "failing suites:$broken"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
