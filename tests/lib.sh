# tests/lib.sh: what every shell test suite shares. Source it; call `t_ok NAME` /
# `t_fail NAME WHY`, the expect_* helpers, and `t_done` at the end (prints "N passed, N failed").
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

# expect_eq NAME WANT GOT
expect_eq() {
  if [ "$2" == "$3" ]; then t_ok "$1"; else t_fail "$1" "expected '$2', got '$3'"; fi
}

t_done() {
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}
