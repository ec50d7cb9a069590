# tests/lib.sh: what every shell test suite shares. Source it; call `t_ok NAME` /
# `t_fail NAME WHY` / `t_skip NAME WHY`, the expect_* helpers, `t_newdb`, `t_sql`, `py`,
# `field`, `at`, `quiet`, `ms_now`, `t_fresh_db`, `t_copydb`, `t_sql_events`, `t_sql_file`, `t_jtext`/`t_jnum`, `t_agg`, `t_dump`, and `t_done` at
# the end (prints "N passed, N failed").
# KINFLOW_BIN is the binary under test (the Makefile sets it); each suite gets a scratch dir.
#
# The store: KINFLOW_DB is "$T_DIR/kinflow.db", or, when KINFLOW_TEST_PG names a running
# cluster's folder (scripts/pg-cluster.sh, as tests/run.sh starts it for STORE=postgresql), a
# fresh PostgreSQL database of the suite's own, dropped at exit. T_STORE says which (sqlite or
# postgresql); `t_skip NAME WHY` notes a check that means nothing on this store (not counted).
# A suite with a trap of its own calls t_cleanup from it.
set -u
K=${KINFLOW_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/kinflow}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T_PASS=0
T_FAIL=0
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kinflow-test.XXXXXX")

# t_cleanup: drops the suite's PostgreSQL databases, removes the scratch dir (the EXIT trap).
t_cleanup() {
  if [ -n "${KINFLOW_TEST_PG:-}" ] && [ -f "$T_DIR/.pg_databases" ]; then
    local db
    while read -r db; do
      "$ROOT/scripts/pg-cluster.sh" dropdb "$KINFLOW_TEST_PG" "$db" || echo "could not drop database $db" >&2
    done < "$T_DIR/.pg_databases"
  fi
  rm -rf "$T_DIR"
}
trap t_cleanup EXIT

# t_newdb NAME: prints a fresh database of this suite's for KINFLOW_DB or --db: the file
# "$T_DIR/NAME.db" on SQLite, a new database on the PostgreSQL cluster (dropped at exit).
t_newdb() {
  if [ "$T_STORE" = postgresql ]; then
    local uri
    uri=$("$ROOT/scripts/pg-cluster.sh" newdb "$KINFLOW_TEST_PG") || return 1
    echo "${uri##*/}" >> "$T_DIR/.pg_databases"
    echo "$uri"
  else
    echo "$T_DIR/$1.db"
  fi
}

if [ -n "${KINFLOW_TEST_PG:-}" ]; then
  export T_STORE=postgresql
  KINFLOW_TEST_PG=$(realpath -m -- "$KINFLOW_TEST_PG")
  export KINFLOW_TEST_PG
else
  export T_STORE=sqlite
fi
KINFLOW_DB=$(t_newdb kinflow) || {
  echo "FAIL setup: no database on the PostgreSQL cluster in $KINFLOW_TEST_PG"; echo "0 passed, 1 failed"; exit 1; }
export KINFLOW_DB
export KINFLOW_ACTOR=tester
# T_OUTBOX: where the outbox plugin delivers the suite's database's events: beside the SQLite
# file (its default), or, on PostgreSQL (no file beside a server's database), the file that
# KINFLOW_OUTBOX names, set here. (Its cursor is kept in the database.)
if [ "$T_STORE" = postgresql ]; then
  export KINFLOW_OUTBOX="$T_DIR/kinflow.outbox.jsonl"
  T_OUTBOX=$KINFLOW_OUTBOX
else
  T_OUTBOX="$KINFLOW_DB.outbox.jsonl"
fi
unset KINFLOW_NOW

# t_sql SQL [DB]: runs SQL on the suite's database (or DB) with the store's own client,
# sqlite3 or psql, printing rows as sqlite3 does (columns joined by |, no header).
t_sql() {
  local db=${2:-$KINFLOW_DB}
  case $db in
    postgresql://* | postgres://*) PGOPTIONS='-c client_min_messages=warning' psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 "$db" -c "$1" ;;
    *) sqlite3 "$db" "$1" ;;
  esac
}

# t_fresh_db: the suite's database (KINFLOW_DB) starts over, as before `kinflow init`: the
# SQLite file and all beside it removed, or the PostgreSQL database dropped and made again
# under its name; the outbox's file (T_OUTBOX) goes too.
t_fresh_db() {
  if [ "$T_STORE" = postgresql ]; then
    "$ROOT/scripts/pg-cluster.sh" dropdb "$KINFLOW_TEST_PG" "${KINFLOW_DB##*/}" &&
      "$ROOT/scripts/pg-cluster.sh" newdb "$KINFLOW_TEST_PG" "${KINFLOW_DB##*/}" >/dev/null &&
      rm -f "$T_OUTBOX"
  else
    rm -f "$KINFLOW_DB"*
  fi
}

# t_copydb NAME [DB]: prints a new database holding a copy of DB (the suite's by default), for
# --db: "$T_DIR/NAME.db" by SQLite's .backup, or a new PostgreSQL database made from DB as
# its template (dropped at exit). Nothing may be connected to DB meanwhile.
t_copydb() {
  local from=${2:-$KINFLOW_DB}
  if [ "$T_STORE" = postgresql ]; then
    local name
    name=kf_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    t_sql "CREATE DATABASE \"$name\" TEMPLATE \"${from##*/}\"" "${from%/*}/postgres" || return 1
    echo "$name" >> "$T_DIR/.pg_databases"
    echo "${from%/*}/$name"
  else
    rm -f "$T_DIR/$1.db" "$T_DIR/$1.db-wal" "$T_DIR/$1.db-shm"
    sqlite3 "$from" ".backup '$T_DIR/$1.db'" && echo "$T_DIR/$1.db"
  fi
}

# t_sql_events SQL [DB]: runs SQL that changes the events table behind the engine's back, as
# an attacker with the database owner's rights could: on SQLite with the append-only
# triggers dropped; on PostgreSQL with them disabled and UPDATE/DELETE granted for the one
# transaction, then put back (so the database's own guard is there again afterwards).
t_sql_events() {
  if [ "$T_STORE" = postgresql ]; then
    t_sql "BEGIN; ALTER TABLE events DISABLE TRIGGER events_no_update;
      GRANT UPDATE, DELETE ON events TO CURRENT_USER; $1;
      REVOKE UPDATE, DELETE ON events FROM CURRENT_USER;
      ALTER TABLE events ENABLE TRIGGER events_no_update; COMMIT" "${2:-$KINFLOW_DB}"
  else
    t_sql "DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete; $1" "${2:-$KINFLOW_DB}"
  fi
}

# t_sql_file [DB]: runs the SQL script on stdin, as t_sql does one statement; it goes on past
# a failing statement (its error on stderr), as sqlite3 -batch does.
t_sql_file() {
  local db=${1:-$KINFLOW_DB}
  case $db in
    postgresql://* | postgres://*) PGOPTIONS='-c client_min_messages=warning' psql -X -q -A -t -F '|' "$db" -f - ;;
    *) sqlite3 -batch "$db" ;;
  esac
}

# t_jtext COL KEY / t_jnum COL KEY: the store's SQL for the value at KEY of the JSON text in
# column COL, as text / as a number (json_extract on SQLite; ->> and a cast on PostgreSQL).
t_jtext() { if [ "$T_STORE" = postgresql ]; then echo "($1::jsonb ->> '$2')"; else echo "json_extract($1, '\$.$2')"; fi; }
t_jnum() { if [ "$T_STORE" = postgresql ]; then echo "($1::jsonb ->> '$2')::numeric"; else echo "json_extract($1, '\$.$2')"; fi; }

# t_agg EXPR SEP [ORDER]: the store's SQL joining EXPR's values with SEP: group_concat on
# SQLite (in the rows' order), string_agg on PostgreSQL (ORDER BY ORDER when given).
t_agg() {
  if [ "$T_STORE" = postgresql ]; then echo "string_agg(($1)::text, '$2'${3:+ ORDER BY $3})"
  else echo "group_concat($1, '$2')"; fi
}

# t_dump [DB]: the whole database as SQL text (sqlite3 .dump, or pg_dump), to compare before
# and after something that must change nothing.
t_dump() {
  local db=${1:-$KINFLOW_DB}
  case $db in
    postgresql://* | postgres://*) pg_dump --no-owner "$db" | grep -v -E '^\\(un)?restrict ' ;;  # a random key each run
    *) sqlite3 "$db" .dump ;;
  esac
}

t_ok() { T_PASS=$((T_PASS + 1)); echo "ok   $1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $1: $2"; }
# t_skip NAME WHY: a check left out on this store ($T_STORE); counted neither way.
t_skip() { echo "skip $1: $2"; }

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
