#!/usr/bin/env bash
# tests/cli/dbcopy.sh: `kinflow db copy FROM TO` through the real binary: a database built
# with the programme library (the sample walkthrough's case, moves, members, entries,
# consents, a decision, timers run, a consent withdrawn and its flag) and users, a team, an allocation, a session, a link and
# a setting is copied SQLite -> SQLite and comes out the same row for row and byte for byte;
# a target that holds rows, a missing source, a source whose chain is broken and schemas at
# other versions are refused with nothing written. With PostgreSQL (KINFLOW_TEST_PG, KF_PGBASE or
# PG_URL_BASE: a postgresql:// URI of a server where this user may create databases), the
# same database goes SQLite -> PostgreSQL -> SQLite and is compared at each step.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1

A="$T_DIR/a.db"
export KINFLOW_DB="$A"

# ---- a database with the programme library and some of everything ----------------------
quiet "$K" init
WORKFLOWS=()
for f in "$ROOT"/workflows/*.lua; do [[ $f == *.test.lua ]] || WORKFLOWS+=("$f"); done
quiet "$K" deploy "${WORKFLOWS[@]}"
run bash -c "source '$ROOT/scripts/sample-data.sh' && sample_walkthrough" \
  && [ "$RC" -eq 0 ] || t_fail "setup: the sample walkthrough" "exit $RC: $(echo "$ERR" | tail -5)"
quiet env KINFLOW_BIN="$K" "$K" timers run
quiet "$K" case new coparenthood --ref ODD-1 \
  --data '{"note": "Zoë 🌏 \"quoted\" '"'"'single'"'"' back\\slash\ttab\nline", "n": 12345678901234}'
quiet "$K" case member add ODD-1 --role parent --name "Åsa Ünïcode"
quiet "$K" case link ODD-1 1 --as sibling --reason "same family"
quiet "$K" setting set follow_up_months 9
quiet "$K" consent withdraw 1 1 --reason "changed their mind"   # raises a flag
for u in alice bob; do
  echo "a long enough password 1" | "$K" user add "$u" --role caseworker --password-stdin \
    >/dev/null 2>&1 || t_fail "setup: user $u" "user add failed"
done
quiet "$K" team add north
sqlite3 "$A" "INSERT INTO team_members(team, login) VALUES('north', 'alice');
  INSERT INTO sessions(token_hash, login, csrf, created_at, seen_at, idle, absolute)
  VALUES('tok-hash-1', 'bob', 'csrf-1', 1767600000, 1767600100, 1800, 43200);"
quiet "$K" case allocate ODD-1 --to alice --team north --reason "duty worker"
HEAD=$("$K" audit verify --json | py 'd["head"]')
TABLES=$(sqlite3 "$A" "SELECT name FROM sqlite_schema WHERE type='table' ORDER BY name" | tr '\n' ' ')
dump() { sqlite3 "$1" .dump; }
BEFORE=$(dump "$A" | sha256sum)

# ---- SQLite -> SQLite ---------------------------------------------------------------------
B="$T_DIR/b.db"
run "$K" db copy "$A" "$B"
expect_eq "copy into a new file: exit 0" "0" "$RC"
expect_eq "the last line: cases, events, the chain's head" \
  "copied $(sqlite3 "$A" "SELECT count(*) FROM cases") cases, $(sqlite3 "$A" "SELECT count(*) FROM events") events; audit chain intact, head $HEAD" \
  "$(echo "$OUT" | tail -1)"
expect_eq "a line a table with its count (members)" \
  "members $(sqlite3 "$A" "SELECT count(*) FROM members")" "$(echo "$OUT" | awk '$1 == "members" {print $1, $2}')"
expect_eq "the copy is the source, row for row and byte for byte (sqlite3 .dump)" "$(dump "$A")" "$(dump "$B")"
expect_eq "the source is unchanged" "$BEFORE" "$(dump "$A" | sha256sum)"
expect_out "the copy verifies" "chain intact; head $HEAD" env KINFLOW_DB="$B" "$K" audit verify
expect_eq "the copy's cases list as the source's" "$("$K" case list --json)" \
  "$(KINFLOW_DB="$B" "$K" case list --json)"

C="$T_DIR/c.db"
run "$K" db copy "$A" "$C" --json
expect_eq "--json: every table of the schema, by name" "$TABLES" \
  "$(echo "$OUT" | py '" ".join(sorted(d["tables"])) + " "')"
expect_eq "the source holds rows in all but these tables" "access_grants migrated_cases migrations" \
  "$(echo "$OUT" | py '" ".join(sorted(k for k, n in d["tables"].items() if n == 0))')"
expect_eq "--json: counts, cases, events, head" \
  "$(sqlite3 "$A" "SELECT count(*) FROM users") $(sqlite3 "$A" "SELECT count(*) FROM sessions") $(sqlite3 "$A" "SELECT count(*) FROM timers") $(sqlite3 "$A" "SELECT count(*) FROM cases") $(sqlite3 "$A" "SELECT count(*) FROM events") $HEAD" \
  "$(echo "$OUT" | py '"%d %d %d %d %d %s" % (d["tables"]["users"], d["tables"]["sessions"], d["tables"]["timers"], d["cases"], d["events"], d["head"])')"
expect_eq "meta: the log's head copied, nothing else of the backend's" \
  "$(sqlite3 "$A" "SELECT key || '=' || value FROM meta ORDER BY key")" \
  "$(sqlite3 "$C" "SELECT key || '=' || value FROM meta ORDER BY key")"

E="$T_DIR/e.db"
quiet env KINFLOW_DB="$E" "$K" init
expect_out "a freshly initialised target is accepted" "audit chain intact, head $HEAD" "$K" db copy "$A" "$E"

# A source being written meanwhile: the copy is of one snapshot, and verifies.
W="$T_DIR/w.db"
cp "$A" "$W"
( for i in $(seq 1 30); do KINFLOW_DB="$W" "$K" case new coparenthood \
    --data '{"referred_on": "2026-01-02"}' >/dev/null 2>&1 || echo "writer failed" >&2; done ) &
WRITER=$!
ok=0
for i in 1 2 3; do
  rm -f "$T_DIR/w$i.db"
  "$K" db copy "$W" "$T_DIR/w$i.db" >/dev/null 2>"$T_DIR/.werr" && KINFLOW_DB="$T_DIR/w$i.db" "$K" audit verify >/dev/null && ok=$((ok + 1))
done
wait "$WRITER"
expect_eq "copies of a source being written each verify" "3" "$ok"

# ---- refusals: one line, exit 1, nothing written -------------------------------------------
B_DUMP=$(dump "$B" | sha256sum)
expect_refused "a target that holds rows is refused" 1 \
  "kinflow: db copy: the target $B is not empty (table definitions holds $(sqlite3 "$A" "SELECT count(*) FROM definitions") rows): copy into a new database; nothing was copied" \
  "$K" db copy "$A" "$B"
expect_eq "... and is left as it was" "$B_DUMP" "$(dump "$B" | sha256sum)"
expect_eq "... in one line" "1" "$(echo "$ERR" | wc -l)"

N="$T_DIR/n.db"
expect_refused "a missing source is refused" 1 \
  "kinflow: db copy: the source $T_DIR/none.db does not exist; nothing was copied" \
  "$K" db copy "$T_DIR/none.db" "$N"
[ ! -e "$N" ] && t_ok "... and no target file is made" || t_fail "no target after a missing source" "$N exists"

expect_refused "the same database twice is refused" 1 \
  "kinflow: db copy: the source and the target are the same database" "$K" db copy "$A" "$T_DIR/./a.db"
expect_refused "db copy without a target: usage" 2 "usage: kinflow db copy FROM TO" "$K" db copy "$A"
expect_refused "db without copy: usage" 2 "db needs a command: copy" "$K" db

# A source whose chain is broken: an event's reason changed behind kinflow's back.
T="$T_DIR/t.db"
cp "$A" "$T"
sqlite3 "$T" "DROP TRIGGER events_no_update; UPDATE events SET reason='changed afterwards' WHERE seq=3;"
expect_refused "a source whose chain does not verify is refused before anything is copied" 1 \
  "kinflow: db copy: the source $T does not verify (audit: event 3" "$K" db copy "$T" "$N"
[[ "$ERR" == *"was altered: its contents do not match its hash); nothing was copied" ]] \
  && t_ok "... naming the altered event" || t_fail "the altered event named" "$ERR"
[ ! -e "$N" ] && t_ok "... and no target file is made" || t_fail "no target after a broken source" "$N exists"

# Schemas at other versions.
O="$T_DIR/old.db"
sqlite3 "$O" "PRAGMA user_version=5"
CUR=$(sqlite3 "$A" "PRAGMA user_version")
expect_refused "a target at another schema version is refused, naming both" 1 \
  "kinflow: db copy: the source $A has schema version $CUR, the target $O 5: both must be at the same version; nothing was copied" \
  "$K" db copy "$A" "$O"
expect_eq "... and is left at its version" "5" "$(sqlite3 "$O" "PRAGMA user_version")"
expect_refused "a source at another schema version is refused, naming both" 1 \
  "kinflow: db copy: the source $O has schema version 5, this kinflow's is $CUR" "$K" db copy "$O" "$N"

# ---- PostgreSQL ---------------------------------------------------------------------------
PGBASE=${KF_PGBASE:-${PG_URL_BASE:-}}
# the PostgreSQL pass of tests/run.sh: its throwaway cluster (a folder; its URI from the script)
[ -n "${KINFLOW_TEST_PG:-}" ] && [ -d "$KINFLOW_TEST_PG" ] && PGBASE=$("$ROOT/scripts/pg-cluster.sh" url "$KINFLOW_TEST_PG")
rest=${PGBASE#*://}
[[ $rest == */* ]] && PGBASE=${PGBASE%/*}   # the server: a database named in it is left out
if [ -z "$PGBASE" ] || ! command -v psql >/dev/null || ! psql "$PGBASE/postgres" -qtAc "SELECT 1" >/dev/null 2>&1; then
  echo "skipped: SQLite <-> PostgreSQL (no PostgreSQL server: set PG_URL_BASE)"
else
  DB1="kf_dbcopy_$$_1" DB2="kf_dbcopy_$$_2"
  pg() { psql "$PGBASE/postgres" -qtAc "$1" >/dev/null 2>&1; }
  pg "DROP DATABASE IF EXISTS $DB1"; pg "DROP DATABASE IF EXISTS $DB2"
  pg "CREATE DATABASE $DB1" || t_fail "setup: create database $DB1" "psql failed"
  pg "CREATE DATABASE $DB2" || t_fail "setup: create database $DB2" "psql failed"
  P1="$PGBASE/$DB1" P2="$PGBASE/$DB2"
  expect_out "SQLite -> a new PostgreSQL database" "audit chain intact, head $HEAD" "$K" db copy "$A" "$P1"
  expect_out "PostgreSQL: audit verify holds with the same head" "chain intact; head $HEAD" \
    env KINFLOW_DB="$P1" "$K" audit verify
  expect_eq "PostgreSQL: the cases list as on SQLite" "$("$K" case list --json)" \
    "$(KINFLOW_DB="$P1" "$K" case list --json)"
  expect_eq "PostgreSQL: a case's history as on SQLite" "$("$K" case history 1 --json)" \
    "$(KINFLOW_DB="$P1" "$K" case history 1 --json)"
  expect_eq "PostgreSQL: the odd texts as they were" "$("$K" case show ODD-1 --json | py 'd["data"]')" \
    "$(KINFLOW_DB="$P1" "$K" case show ODD-1 --json | py 'd["data"]')"
  R="$T_DIR/r.db"
  run "$K" db copy "$P1" "$R" --json
  expect_eq "PostgreSQL -> SQLite: exit 0, the same head" "0 $HEAD" "$RC $(echo "$OUT" | py 'd["head"]')"
  expect_eq "SQLite -> PostgreSQL -> SQLite: the same database, byte for byte (sqlite3 .dump)" \
    "$(dump "$A")" "$(dump "$R")"
  expect_out "the round trip verifies" "chain intact; head $HEAD" env KINFLOW_DB="$R" "$K" audit verify
  expect_refused "a PostgreSQL target that holds rows is refused" 1 \
    "is not empty (table definitions holds" "$K" db copy "$A" "$P1"
  quiet env KINFLOW_DB="$P2" "$K" init
  expect_out "PostgreSQL -> a freshly initialised PostgreSQL database" \
    "audit chain intact, head $HEAD" "$K" db copy "$P1" "$P2"
  expect_eq "... whose backend rows are its own (writer, schema_version)" "schema_version writer" \
    "$(psql "$P2" -qtAc "SELECT string_agg(key, ' ' ORDER BY key) FROM meta WHERE key IN ('writer', 'schema_version')")"
  pg "DROP DATABASE IF EXISTS $DB1"; pg "DROP DATABASE IF EXISTS $DB2"
fi

t_done
