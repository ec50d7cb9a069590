# tests/lib.sh: what every shell test suite shares. Source it; call `t_ok NAME` /
# `t_fail NAME WHY`, the expect_* helpers, `py`, `field`, `at`, `quiet`, `ms_now`, and
# `t_done` at the end (prints "N passed, N failed").
# KINFLOW_BIN is the binary under test (the Makefile sets it); each suite gets a scratch dir.
set -u
K=${KINFLOW_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/kinflow}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T_PASS=0
T_FAIL=0
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kinflow-test.XXXXXX")
trap 'rm -rf "$T_DIR"' EXIT
export KINFLOW_DB="$T_DIR/kinflow.db"
export KINFLOW_ACTOR=tester
unset KINFLOW_NOW

t_ok() { T_PASS=$((T_PASS + 1)); echo "ok   $1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $1: $2"; }

# run CMD...: runs it, capturing $OUT, $ERR and $RC.
run() {
  OUT=$("$@" 2>"$T_DIR/.err"); RC=$?
  ERR=$(cat "$T_DIR/.err")
}

# expect_ok NAME CMD...: exit 0.
expect_ok() {
  local name=$1; shift
  run "$@"
  if [ "$RC" -eq 0 ]; then t_ok "$name"; else t_fail "$name" "exit $RC: $ERR"; fi
}

# expect_refused NAME CODE TEXT CMD...: exit CODE and stderr (one line) containing TEXT.
expect_refused() {
  local name=$1 code=$2 text=$3; shift 3
  run "$@"
  if [ "$RC" -ne "$code" ]; then t_fail "$name" "expected exit $code, got $RC (stderr: $ERR)"
  elif [[ "$ERR" != *"$text"* ]]; then t_fail "$name" "stderr lacks '$text': $ERR"
  else t_ok "$name"; fi
}

# expect_out NAME TEXT CMD...: exit 0 and stdout containing TEXT.
expect_out() {
  local name=$1 text=$2; shift 2
  run "$@"
  if [ "$RC" -ne 0 ]; then t_fail "$name" "exit $RC: $ERR"
  elif [[ "$OUT" != *"$text"* ]]; then t_fail "$name" "stdout lacks '$text': $OUT"
  else t_ok "$name"; fi
}

# PY: the interpreter's own path (not a version-manager shim: each call starts faster).
PY=$(python3 -c 'import sys; print(sys.executable)')

# py EXPR: reads JSON on stdin as `d` and prints EXPR (or a one-line note when it cannot).
py() {
  "$PY" -c "
import json, sys
raw = sys.stdin.read()
try:
    d = json.loads(raw)
except ValueError:
    print('<not JSON: %r>' % raw[:100]); sys.exit(0)
try:
    print($1)
except Exception as e:
    print('<%s: %s>' % (type(e).__name__, e))"
}

# field CASE KEY: one field of `kinflow case show CASE --json`.
field() { "$K" case show "$1" --json | py "d[\"$2\"]"; }

# ms_now: a wall clock in milliseconds, for timing a command (bash's own EPOCHREALTIME).
ms_now() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# at TIME: the engine's clock reads TIME from now on (KINFLOW_NOW, ISO 8601).
at() { export KINFLOW_NOW=$1; }

# quiet CMD...: a setup step; silent when it works, a failed check naming it when not.
quiet() { "$@" >/dev/null 2>"$T_DIR/.qerr" || t_fail "setup: $*" "$(cat "$T_DIR/.qerr")"; }

# expect_eq NAME WANT GOT
expect_eq() {
  if [ "$2" == "$3" ]; then t_ok "$1"; else t_fail "$1" "expected '$2', got '$3'"; fi
}

t_done() {
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}
