#!/usr/bin/env bash
# tests/run.sh: every suite: C unit tests, CLI end-to-end tests, the sandbox corpus, the
# programme library's scenarios. Each suite ends with "N passed, N failed"; this sums them
# into the one last line.
#
# STORE: the passes to run, in order, one or both of sqlite (the default) and postgresql.
#   sqlite      the unit tests (but test_pg*), tests/cli/*.sh (the HTTP suites among them),
#               the sandbox corpus and the scenarios, each suite on a SQLite file of its own
#   postgresql  a throwaway cluster (scripts/pg-cluster.sh) in a temporary folder, stopped at
#               the end whatever happens; the unit tests named test_pg* (KINFLOW_TEST_PG_URL:
#               a fresh database), tests/cli/*.sh and the scenarios, each suite on a fresh
#               database of its own (KINFLOW_TEST_PG: the cluster's folder, see tests/lib.sh);
#               its suites print as "== pg/NAME"
set -u
cd "$(dirname "$0")/.."
K=${KINFLOW_BIN:-$PWD/kinflow}
UNIT_DIR=${UNIT_DIR:-$PWD/build/tests}
export KINFLOW_BIN=$K
unset KINFLOW_TEST_PG KINFLOW_TEST_PG_URL  # set below, for the PostgreSQL pass's suites only
STORE=${STORE:-sqlite}
for s in $STORE; do
  case $s in sqlite | postgresql) ;; *) echo "tests/run.sh: STORE is sqlite, postgresql or both, not '$s'" >&2; exit 2 ;; esac
done
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

sqlite_pass() {
  local t
  for t in "$UNIT_DIR"/*; do
    case $(basename "$t") in test_pg*) continue ;; esac
    [ -x "$t" ] && suite "unit/$(basename "$t")" "$t"
  done
  for t in tests/cli/*.sh tests/sandbox/run.sh; do [ -f "$t" ] && suite "${t#tests/}" bash "$t"; done
  suite "scenarios" "$K" test workflows
}

# The cluster of the PostgreSQL pass, stopped (and its folder removed) on any exit.
PG_DIR=""
stop_cluster() { [ -n "$PG_DIR" ] && scripts/pg-cluster.sh stop "$PG_DIR"; PG_DIR=""; }
trap stop_cluster EXIT
trap 'exit 130' INT TERM

# with_db CMD...: CMD with KINFLOW_DB and KINFLOW_TEST_PG_URL a fresh database, dropped after.
with_db() {
  local uri rc
  uri=$(scripts/pg-cluster.sh newdb "$PG_DIR") || { echo "FAIL setup: no database on the cluster"; echo "0 passed, 1 failed"; return 1; }
  KINFLOW_DB=$uri KINFLOW_TEST_PG_URL=$uri "$@"; rc=$?
  scripts/pg-cluster.sh dropdb "$PG_DIR" "${uri##*/}" || echo "could not drop database ${uri##*/}"
  return $rc
}

postgresql_pass() {
  local t
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kinflow-pg.XXXXXX")
  echo "== pg/cluster"
  if ! scripts/pg-cluster.sh start "$PG_DIR"; then
    echo "FAIL pg/cluster: the PostgreSQL cluster did not start"; fail=$((fail + 1)); broken="$broken pg/cluster"
    stop_cluster; return
  fi
  echo "PostgreSQL on $(scripts/pg-cluster.sh url "$PG_DIR")"
  # test_pg*, and test_copy again with a server (the SQLite pass runs it without one)
  for t in "$UNIT_DIR"/test_pg* "$UNIT_DIR"/test_copy; do
    [ -x "$t" ] && suite "pg/unit/$(basename "$t")" with_db "$t"
  done
  for t in tests/cli/*.sh; do [ -f "$t" ] && suite "pg/${t#tests/}" env KINFLOW_TEST_PG="$PG_DIR" bash "$t"; done
  suite "pg/scenarios" with_db sh -c 'exec "$0" test workflows --scratch "$KINFLOW_DB"' "$K"
  stop_cluster
}

for s in $STORE; do "${s}_pass"; done
[ -n "$broken" ] && echo "failing suites:$broken"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
