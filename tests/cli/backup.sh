#!/usr/bin/env bash
# tests/cli/backup.sh: `kinflow backup` and `kinflow restore` through the real binary. A
# backup of a database that another process writes to all the while (cases opened and
# moved, one command after another): the writer never fails, the copy verifies and is a
# consistent prefix of the live log (same hashes, every case's state that of its last
# event in the copy); restore of that copy (a connection already open on the database sees
# it; the database as it was is kept beside it and verifies), and again while the writer
# runs (no write lost: each is in the kept copy or the restored database); the same with
# the console serving and writing over HTTP; a live database whose log was altered is kept
# all the same (said not to verify); a database from an older schema is backed up as it is
# and restored upgraded; restore refuses a damaged file, a file that is no SQLite database, a SQLite file
# that is no kinflow database, one from a newer schema, one whose log was altered, a
# missing file and the database itself, each with its one line and exit 1, the live
# database unchanged; backup refuses its own database, an existing file (unless --force),
# a missing database; PostgreSQL databases are sent to PostgreSQL's own tools.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
DB=$KINFLOW_DB
NCASES=${KINFLOW_BACKUP_CASES:-8000}
[ "$T_STORE" = postgresql ] && NCASES=${KINFLOW_BACKUP_CASES:-1000}  # only the writer's targets there

cat >w.lua <<'EOF'
return workflow {
  name = "w", roles = { "worker" }, initial = "open",
  states = { { "open" }, { "working" }, { "closed", final = true } },
  transitions = {
    { "start", from = "open", to = "working", by = { "worker" } },
    { "close", from = "*", to = "closed", by = { "worker" } },
  },
}
EOF
quiet "$K" init
quiet "$K" deploy w.lua
"$PY" -c "
import json
for i in range($NCASES):
    print(json.dumps({'workflow': 'w', 'ref': 'R%d' % i, 'data': {'n': i, 'note': 'x' * 400}}))" >cases.jsonl
quiet "$K" case import cases.jsonl
SCHEMA=$("$K" init --json | py 'd["schema"]')

q() { sqlite3 -cmd ".timeout 10000" "$@"; }
# state DB: its audit head and counts, to compare before and after.
state() { echo "$("$K" --db "$1" audit verify 2>&1) $(q "$1" "SELECT count(*) FROM cases; SELECT count(*) FROM events" | tr '\n' ' ')"; }
kept_files() { ls "$DB".before-restore-* 2>/dev/null | wc -l; }

# ---- the writer: opens a case, moves an imported one, again and again ------------------
# writer N TAG: until the file stop exists, opens a case with data {"by": TAG, "k": K} and
# moves case R<N>, N+1, ...; writer.log gets "new K STATUS" and "fire N STATUS" lines
writer() {
  local n=$1 tag=$2 k=0
  while [ ! -e stop ]; do
    k=$((k + 1))
    "$K" case new w --data "{\"by\": \"$tag\", \"k\": $k}" >/dev/null 2>>writer.err; echo "new $k $?" >>writer.log
    "$K" case fire "R$n" start --as worker >/dev/null 2>>writer.err; echo "fire $n $?" >>writer.log
    n=$((n + 1))
  done
}
start_writer() {
  rm -f stop writer.log writer.err
  writer "$1" "$2" &
  WRITER=$!
  local i
  for i in $(seq 1 200); do [ -f writer.log ] && [ "$(wc -l <writer.log)" -ge 4 ] && break; sleep 0.05; done
}
stop_writer() {
  touch stop
  wait "$WRITER"
}
writer_failures() { grep -vc ' 0$' writer.log; }
# opened_by_writer DB TAG: the k of every case the writer TAG opened that DB holds, one a line
opened_by_writer() { q "$1" "SELECT json_extract(data, '$.k') FROM cases WHERE json_extract(data, '$.by') = '$2'"; }

# ---- PostgreSQL: kinflow sends backups to PostgreSQL's tools; they work as the README says ---
# backup and restore refuse with their pointer (pinned); pg_dump while the writer writes, then
# pg_restore into a new database (README: Backups): it verifies, is a prefix of the live log,
# keeps the events append-only, and kinflow writes on it.
if [ "$T_STORE" = postgresql ]; then
  t_skip "kinflow backup and restore of a database file (online backup API, kept copies, refusals)" \
    "SQLite's files; on PostgreSQL both refuse and point to pg_dump (checked here instead)"
  expect_refused "backup of this PostgreSQL database: refused, pointing to PostgreSQL's tools" 1 \
    "kinflow: backup: the database is PostgreSQL: use PostgreSQL's own tools (pg_dump -Fc and pg_restore, or pg_basebackup), then \`kinflow audit verify\` on the restored database (README: Backups)" \
    "$K" backup copy.db
  expect_eq "a refused backup writes no file" "" "$(ls copy.db* 2>/dev/null)"
  BEFORE=$("$K" audit verify 2>&1)
  expect_refused "restore into this PostgreSQL database: refused, pointing to PostgreSQL's tools" 1 \
    "kinflow: restore: the database is PostgreSQL: use PostgreSQL's own tools" \
    "$K" restore cases.jsonl
  expect_eq "a refused restore leaves the database as it was" "$BEFORE" "$("$K" audit verify 2>&1)"
  start_writer 0 backup
  # a dump is quick beside a writer that starts a process a command (slower still under the
  # sanitizers): dump again, up to ten times, until one ran while the writer committed
  for try in $(seq 1 10); do
    E0=$(t_sql "SELECT count(*) FROM events")
    run pg_dump -Fc -f kinflow.dump "$DB"
    E1=$(t_sql "SELECT count(*) FROM events")
    [ "$RC" -ne 0 ] || [ "$E1" -gt "$E0" ] && break
  done
  expect_eq "pg_dump under load: exit 0" "0 " "$RC $ERR"
  sleep 0.5
  stop_writer
  expect_eq "the writer never failed because of the dump" "0 " "$(writer_failures) $(cat writer.err)"
  if [ "$E1" -gt "$E0" ]; then t_ok "the writer wrote while pg_dump ran ($E0 -> $E1 events, dump $try)"
  else t_fail "the writer wrote while pg_dump ran" "events $E0 before, $E1 after"; fi
  RESTORED=$(t_newdb restored)
  run pg_restore --no-owner -d "$RESTORED" kinflow.dump
  expect_eq "pg_restore into a new database: exit 0" "0 " "$RC $ERR"
  N=$(t_sql "SELECT count(*) FROM events" "$RESTORED")
  run "$K" --db "$RESTORED" audit verify
  expect_eq "the restored database verifies" "0 audit: $N events, chain intact" "$RC ${OUT%%;*}"
  expect_eq "the restored log has no gap: max(seq) = count" "$N" "$(t_sql "SELECT max(seq) FROM events" "$RESTORED")"
  expect_eq "the restored log is a prefix of the live log (the same hashes)" \
    "$(t_sql "SELECT hash FROM events WHERE seq <= $N ORDER BY seq" | md5sum)" \
    "$(t_sql "SELECT hash FROM events ORDER BY seq" "$RESTORED" | md5sum)"
  if [ "$N" -ge "$E0" ] && [ "$N" -le "$E1" ]; then t_ok "the dump holds what was committed by the time it was taken"
  else t_fail "the dump holds what was committed by the time it was taken" "dump $N events, live $E0 before, $E1 after"; fi
  expect_eq "every restored case is in the state of its last event" "0" \
    "$(t_sql "SELECT count(*) FROM cases c WHERE state IS DISTINCT FROM (SELECT to_state FROM events e
              WHERE e.case_id = c.id AND e.to_state IS NOT NULL ORDER BY seq DESC LIMIT 1)" "$RESTORED")"
  out=$(t_sql "UPDATE events SET reason = 'x' WHERE seq = 3" "$RESTORED" 2>&1); rc=$?
  if [ "$rc" -ne 0 ] && [[ "$out" == *"append-only"* ]]; then t_ok "the restored events are still append-only"
  else t_fail "the restored events are still append-only" "exit $rc: $out"; fi
  run "$K" --db "$RESTORED" case fire "R$((NCASES - 1))" start --as worker
  expect_eq "kinflow writes on the restored database, and it still verifies" "0 chain intact" \
    "$RC $("$K" --db "$RESTORED" audit verify | grep -o 'chain intact')"
  t_done; exit
fi

# ---- a backup while the writer writes ---------------------------------------------------
start_writer 0 backup
E0=$(q "$DB" "SELECT count(*) FROM events")
run "$K" backup copy.db --json
E1=$(q "$DB" "SELECT count(*) FROM events")
BACKUP_JSON=$OUT
expect_eq "backup under load: exit 0" "0 " "$RC $ERR"
if [ "$E1" -gt "$E0" ]; then t_ok "the writer wrote while the backup ran ($E0 -> $E1 events; the copy started over $(echo "$OUT" | py 'd["restarts"]') times)"
else t_fail "the writer wrote while the backup ran" "events $E0 before, $E1 after"; fi
sleep 0.5
stop_writer
expect_eq "the writer never failed because of the backup" "0 " "$(writer_failures) $(cat writer.err)"
[ "$(wc -l <writer.log)" -ge 8 ] && t_ok "the writer ran throughout ($(wc -l <writer.log) commands)" \
  || t_fail "the writer ran throughout" "$(wc -l <writer.log) commands"

expect_eq "the copy is one self-contained file (rollback journal), nothing left beside it" \
  "delete|copy.db" "$(q copy.db "PRAGMA journal_mode")|$(ls copy.db* | tr '\n' ' ' | sed 's/ $//')"
N=$(q copy.db "SELECT count(*) FROM events")
run "$K" --db copy.db audit verify
expect_eq "the copy verifies" "0 audit: $N events, chain intact" "$RC ${OUT%%;*}"
expect_eq "the copy's log has no gap: max(seq) = count" "$N" "$(q copy.db "SELECT max(seq) FROM events")"
expect_eq "the copy is a prefix of the live log (the same hashes)" \
  "$(q "$DB" "SELECT hash FROM events WHERE seq <= $N ORDER BY seq" | md5sum)" \
  "$(q copy.db "SELECT hash FROM events ORDER BY seq" | md5sum)"
if [ "$N" -ge "$E0" ] && [ "$N" -le "$E1" ]; then t_ok "the copy holds what was committed by the time it was taken"
else t_fail "the copy holds what was committed by the time it was taken" "copy $N events, live $E0 before, $E1 after"; fi
expect_eq "every case of the copy is in the state of its last event in the copy" "0" \
  "$(q copy.db "SELECT count(*) FROM cases c WHERE state IS NOT (SELECT to_state FROM events e
                WHERE e.case_id = c.id AND e.to_state IS NOT NULL ORDER BY seq DESC LIMIT 1)")"
expect_eq "the copy's cases are those its log opened" \
  "$(q copy.db "SELECT count(*) FROM events WHERE kind = 'case.opened'")" "$(q copy.db "SELECT count(*) FROM cases")"
expect_eq "backup --json says what it copied" \
  "$(q copy.db "SELECT count(*) FROM cases") $N $N $(q copy.db "SELECT hash FROM events ORDER BY seq DESC LIMIT 1") $(stat -c %s copy.db) $SCHEMA" \
  "$(echo "$BACKUP_JSON" | py '"%s %s %s %s %s %s" % (d["cases"], d["events"], d["head_seq"], d["head"], d["bytes"], d["schema"])')"

# ---- backup: refusals, --force ------------------------------------------------------------
expect_refused "backup refuses the database itself" 1 \
  "kinflow: backup: $DB is the database itself (or one of its files): name another file" "$K" backup "$DB"
expect_refused "backup refuses the database's WAL file" 1 \
  "kinflow: backup: $DB-wal is the database itself (or one of its files): name another file" "$K" backup "$DB-wal"
ln -s "$DB" link.db
expect_refused "backup refuses a link to the database" 1 \
  "kinflow: backup: link.db is the database itself (or one of its files): name another file" "$K" backup link.db
BEFORE=$(md5sum <copy.db)
expect_refused "backup refuses an existing file" 1 \
  "kinflow: backup: copy.db exists; name another file, or replace it with --force" "$K" backup copy.db
expect_eq "the existing file is untouched" "$BEFORE" "$(md5sum <copy.db)"
quiet "$K" case new w
run "$K" backup copy.db --force
expect_eq "backup --force replaces it" "0 $(q "$DB" "SELECT count(*) FROM events")" "$RC $(q copy.db "SELECT count(*) FROM events")"
if [[ "$OUT" == "backup: $DB -> copy.db: "*" cases, "*" events (audit chain intact, head event "*"), "*" in "*" s" ]]
then t_ok "backup says what it copied"; else t_fail "backup says what it copied" "$OUT"; fi
expect_refused "backup refuses a folder that does not exist" 1 \
  "kinflow: backup: the folder of nowhere/b.db does not exist" "$K" backup nowhere/b.db
expect_refused "backup of a database that does not exist" 1 \
  "kinflow: backup: database $T_DIR/none.db cannot be opened (run \`kinflow init\` first?)" \
  env KINFLOW_DB="$T_DIR/none.db" "$K" backup none-copy.db
expect_eq "nothing is left behind by a refused backup" "" "$(ls none* ./*.tmp-* 2>/dev/null)"
expect_refused "backup of a PostgreSQL database" 1 \
  "kinflow: backup: the database is PostgreSQL: use PostgreSQL's own tools (pg_dump -Fc and pg_restore, or pg_basebackup), then \`kinflow audit verify\` on the restored database (README: Backups)" \
  env KINFLOW_DB=postgresql://kinflow@localhost/kinflow "$K" backup pg.db
expect_refused "restore into a PostgreSQL database" 1 \
  "kinflow: restore: the database is PostgreSQL: use PostgreSQL's own tools" \
  "$K" --db postgresql://kinflow@localhost/kinflow restore copy.db
expect_refused "backup without a FILE is a usage error" 2 "backup needs a FILE" "$K" backup

# ---- restore: refusals leave the live database as it was ------------------------------------
LIVE=$(state "$DB")
KEPT0=$(kept_files)
# refused NAME FILE LINE: restore FILE exits 1 with exactly LINE; the live database unchanged
refused() {
  run "$K" restore "$2"
  if [ "$RC" -ne 1 ]; then t_fail "$1" "expected exit 1, got $RC: $OUT $ERR"
  elif [ "$ERR" != "$3" ]; then t_fail "$1" "expected '$3', got '$ERR'"
  else t_ok "$1"; fi
  expect_eq "$1: the live database is unchanged, nothing kept or left" "$LIVE $KEPT0 " \
    "$(state "$DB") $(kept_files) $(ls "$DB".restore-* 2>/dev/null)"
}
UNTOUCHED="; the live database was not changed"
refused "restore of a missing file" nope.db "kinflow: restore: nope.db: No such file or directory$UNTOUCHED"
refused "restore of the live database itself" "$DB" \
  "kinflow: restore: $DB is the live database itself (or one of its files)$UNTOUCHED"
echo "not a database at all, just some text that is long enough to have a header" >junk.db
refused "restore of a file that is no SQLite database" junk.db "kinflow: restore: junk.db is not a SQLite database$UNTOUCHED"
q other.db "CREATE TABLE t(a); INSERT INTO t VALUES (1)"
refused "restore of a SQLite file that is no kinflow database" other.db \
  "kinflow: restore: other.db is not a kinflow database (it has no kinflow schema)$UNTOUCHED"
cp copy.db newer.db && q newer.db "PRAGMA user_version = 99"
refused "restore of a file from a newer schema" newer.db \
  "kinflow: restore: newer.db has schema version 99, newer than this kinflow knows ($SCHEMA): use a newer kinflow$UNTOUCHED"
cp copy.db altered.db
q altered.db "DROP TRIGGER events_no_update; UPDATE events SET reason = 'rewritten' WHERE seq = 5"
run "$K" restore altered.db
if [ "$RC" -eq 1 ] && [[ "$ERR" == "kinflow: restore: altered.db fails the audit check (audit: event 5 ("*") was altered: its contents do not match its hash)$UNTOUCHED" ]]
then t_ok "restore of a file whose log was altered"; else t_fail "restore of a file whose log was altered" "exit $RC: $ERR"; fi
expect_eq "restore of an altered file: the live database is unchanged" "$LIVE $KEPT0" "$(state "$DB") $(kept_files)"
# damaged: a page in the middle overwritten
cp copy.db damaged.db
PAGES=$(q damaged.db "PRAGMA page_count"); PSIZE=$(q damaged.db "PRAGMA page_size")
"$PY" -c "
import sys
with open('damaged.db', 'r+b') as f:
    f.seek(($PAGES // 2) * $PSIZE); f.write(bytes([0x0d, 0xff, 0xff, 0xff, 0xff]) + b'\xaa' * 2000)"
run "$K" restore damaged.db
if [ "$RC" -eq 1 ] && [[ "$ERR" == "kinflow: restore: damaged.db is damaged: "*"$UNTOUCHED" ]] && [ "$(echo "$ERR" | wc -l)" -eq 1 ]
then t_ok "restore of a damaged file (one line: $ERR)"; else t_fail "restore of a damaged file" "exit $RC: $ERR"; fi
expect_eq "restore of a damaged file: the live database is unchanged" "$LIVE $KEPT0" "$(state "$DB") $(kept_files)"

# ---- restore of the copy -------------------------------------------------------------------
quiet "$K" backup older.db   # what to restore: the live database now
quiet "$K" case new w        # then more happens
quiet "$K" case fire R7000 start --as worker
BEFORE_RESTORE=$(state "$DB")
OLDER=$(state older.db)
run "$PY" -c "
import sqlite3, subprocess, sys
c = sqlite3.connect('$DB', timeout=10)
before = c.execute('SELECT count(*) FROM events').fetchone()[0]
r = subprocess.run(['$K', 'restore', 'older.db', '--json'], capture_output=True, text=True)
sys.stderr.write(r.stderr)
print(r.stdout)
after = c.execute('SELECT count(*) FROM events').fetchone()[0]
print('SEEN', before, after)"
RESTORE_JSON=$(echo "$OUT" | sed '/^SEEN/d')
expect_eq "restore: exit 0, nothing on stderr" "0 " "$RC $ERR"
expect_eq "restore: the database is the copy's" "$OLDER" "$(state "$DB")"
expect_eq "a connection open during the restore sees it at once" \
  "SEEN $(echo "$BEFORE_RESTORE" | awk '{print $NF}') $(q older.db "SELECT count(*) FROM events")" "$(echo "$OUT" | grep '^SEEN')"
KEPT=$(echo "$RESTORE_JSON" | py 'd["kept"]["file"]')
expect_eq "restore --json: what was restored, and the copy kept" \
  "$(q older.db "SELECT count(*) FROM cases") $(q older.db "SELECT count(*) FROM events") $SCHEMA True" \
  "$(echo "$RESTORE_JSON" | py '"%s %s %s %s" % (d["cases"], d["events"], d["schema"], d["kept"]["verified"])')"
if [[ "$KEPT" == "$DB.before-restore-"????????T??????Z ]]; then t_ok "the kept copy is named DB.before-restore-TIME"
else t_fail "the kept copy is named DB.before-restore-TIME" "$KEPT"; fi
expect_eq "the kept copy is the database as it was before the restore, and verifies" "$BEFORE_RESTORE" "$(state "$KEPT")"
expect_eq "no staging file is left" "" "$(ls "$DB".restore-* 2>/dev/null)"
run "$K" case new w --json
NEXT=$(q "$DB" "SELECT max(seq) FROM events")
expect_eq "work goes on after a restore: the log continues from the restored head" \
  "0 $(($(q older.db "SELECT count(*) FROM events") + 1)) chain intact" "$RC $NEXT $("$K" audit verify | grep -o 'chain intact')"

# the kept copy back again, with its text report
run "$K" restore "$KEPT"
expect_eq "restore of the kept copy puts the database back as it was" "0 $BEFORE_RESTORE" "$RC $(state "$DB")"
if [[ "$OUT" == "restore: $KEPT -> $DB: "*" cases, "*" events (audit chain intact, head event "*") in "*" s"$'\n'"the database as it was is kept in $DB.before-restore-"*" (verified)" ]]
then t_ok "restore says what it did and where the database as it was is"; else t_fail "restore says what it did" "$OUT"; fi

# ---- a restore while the writer writes ------------------------------------------------------
start_writer 7100 restore
run "$K" restore copy.db --json
L=$(wc -l <writer.log)   # and the writer goes on a little after it
for i in $(seq 1 200); do [ "$(wc -l <writer.log)" -ge $((L + 4)) ] && break; sleep 0.05; done
stop_writer
expect_eq "restore while another process writes: exit 0" "0 " "$RC $ERR"
expect_eq "the writer never failed because of the restore" "0 " "$(writer_failures) $(cat writer.err)"
# every case the writer opened is in the live database (opened after the restore) or in the
# copy kept by it (before): the restore holds writers off from its copy until its commit
KEPT=$(echo "$OUT" | py 'd["kept"]["file"]')
LOST=$(comm -23 <(awk '$1 == "new" && $3 == 0 {print $2}' writer.log | sort) <( (opened_by_writer "$KEPT" restore; opened_by_writer "$DB" restore) | sort -u))
expect_eq "no write is lost: each is in the restored database or in the copy kept" "" "$LOST"
if [ "$(opened_by_writer "$KEPT" restore | wc -l)" -gt 0 ] && [ "$(opened_by_writer "$DB" restore | wc -l)" -gt 0 ]
then t_ok "the writer wrote both before and after the restore"
else t_fail "the writer wrote both before and after the restore" "kept $(opened_by_writer "$KEPT" restore | wc -l), live $(opened_by_writer "$DB" restore | wc -l)"; fi
run "$K" audit verify
expect_eq "the log verifies after a restore under load" "0 chain intact" "$RC $(echo "$OUT" | grep -o 'chain intact')"

# ---- while the console serves and writes (HTTP) ---------------------------------------------
echo 'Correct-Horse-Battery-9' | quiet "$K" user add admin --role admin --password-stdin
"$K" serve --port 0 >serve.out 2>serve.err &
SERVER=$!
for i in $(seq 1 200); do grep -q "^kinflow console on" serve.out && break; sleep 0.05; done
PORT=$(sed -n 's#^kinflow console on http://127.0.0.1:\([0-9]*\)/$#\1#p' serve.out)
URL="http://127.0.0.1:$PORT"
CSRF=$(curl -s -c jar -H 'Content-Type: application/json' \
  -d '{"login": "admin", "password": "Correct-Horse-Battery-9"}' "$URL/api/session" | py 'd["csrf"]')
# http_writer [FIRST]: until the file stop exists, opens cases through the console (no
# FIRST), or moves the imported cases FIRST, FIRST+1, ... (their ids); statuses in http.log,
# the bodies of other answers in http.bad. Across a restore only moves are made: a case
# opened just before the restore is undone by it, and the console, reading the case back
# after its commit, would answer that it is gone.
http_writer() {
  local n=${1:-0} path body
  while [ ! -e stop ]; do
    if [ "$n" -gt 0 ]; then path="/api/cases/$n/transitions/start" body='{"as": "worker"}'; n=$((n + 1))
    else path=/api/cases body='{"workflow": "w"}'; fi
    curl -s -o http.body -w '%{http_code}\n' -b jar -H "X-CSRF-Token: $CSRF" \
      -H 'Content-Type: application/json' -d "$body" "$URL$path" >>http.log
    grep -q '^200$' <(tail -1 http.log) || { cat http.body; echo; } >>http.bad
  done
}
start_http_writer() {
  rm -f stop http.log http.bad
  http_writer "$@" &
  HWRITER=$!
  for i in $(seq 1 200); do [ -f http.log ] && [ "$(wc -l <http.log)" -ge 10 ] && break; sleep 0.05; done
}
stop_http_writer() {
  touch stop
  wait "$HWRITER"
}
start_http_writer
E0=$(q "$DB" "SELECT count(*) FROM events")
run "$K" backup served.db --json
E1=$(q "$DB" "SELECT count(*) FROM events")
stop_http_writer
expect_eq "backup while the console serves and writes: exit 0" "0 " "$RC $ERR"
if [ "$E1" -gt "$E0" ]; then t_ok "the console wrote while the backup ran ($E0 -> $E1 events; the copy started over $(echo "$OUT" | py 'd["restarts"]') times)"
else t_fail "the console wrote while the backup ran" "events $E0 before, $E1 after"; fi
expect_eq "every write through the console succeeded" "$(wc -l <http.log) 200 " "$(grep -c '^200$' http.log) $(sort -u http.log | tr '\n' ' ')$(cat http.bad 2>/dev/null)"
N=$(q served.db "SELECT count(*) FROM events")
expect_eq "the copy verifies and is a prefix of the live log" \
  "chain intact $(q "$DB" "SELECT hash FROM events WHERE seq <= $N ORDER BY seq" | md5sum)" \
  "$("$K" --db served.db audit verify | grep -o 'chain intact') $(q served.db "SELECT hash FROM events ORDER BY seq" | md5sum)"

quiet "$K" case fire R7500 start --as worker
SEEN=$(curl -s -b jar "$URL/api/cases/R7500" | py 'd["state"]')
start_http_writer 7601
run "$K" restore served.db
stop_http_writer
expect_eq "restore while the console serves and writes: exit 0" "0 " "$RC $ERR"
expect_eq "every write through the console succeeded across the restore" "$(wc -l <http.log) 200 " \
  "$(grep -c '^200$' http.log) $(sort -u http.log | tr '\n' ' ')$(cat http.bad 2>/dev/null)"
expect_eq "the running console sees the restored database" "working open" \
  "$SEEN $(curl -s -b jar "$URL/api/cases/R7500" | py 'd["state"]')"
kill "$SERVER"; wait "$SERVER"
run "$K" audit verify
expect_eq "the log verifies after a restore under the console's writes" "0 chain intact" "$RC $(echo "$OUT" | grep -o 'chain intact')"
if grep -qE "AddressSanitizer|runtime error:|LeakSanitizer" serve.err; then t_fail "the console reported no sanitizer errors" "$(tail -c 1500 serve.err)"
else t_ok "the console reported no sanitizer errors"; fi

# ---- restore over a live database whose log was altered: it is kept all the same ---------------
q "$DB" "DROP TRIGGER events_no_update; UPDATE events SET reason = 'forged' WHERE seq = 3"
run "$K" restore copy.db --json
expect_eq "restore over an altered database: done, the copy kept says it does not verify" \
  "0 False fails the audit check (audit: event 3 " \
  "$RC $(echo "$OUT" | py 'd["kept"]["verified"]') $(echo "$OUT" | py 'd["kept"]["problem"]' | grep -o 'fails the audit check (audit: event 3 ')"
expect_eq "the altered database is kept as it was (still altered), the restored one verifies" \
  "forged chain intact" \
  "$(q "$(echo "$OUT" | py 'd["kept"]["file"]')" "SELECT reason FROM events WHERE seq = 3") $("$K" audit verify | grep -o 'chain intact')"

# ---- a database from an older kinflow (schema 10: no cases.last_seq, the head in meta, no deliveries,
# every case in an index of refs: schema 10's was the column's UNIQUE, here a unique index of all refs)
cp copy.db old.db
q old.db "DROP TABLE deliveries; DROP INDEX cases_by_workflow; CREATE INDEX cases_by_state ON cases(workflow, state);
          DROP INDEX cases_by_ref; CREATE UNIQUE INDEX cases_ref_10 ON cases(ref);
          CREATE INDEX cases_by_state_id ON cases(state, id);
          ALTER TABLE cases DROP COLUMN last_seq;
          INSERT OR REPLACE INTO meta(key, value) SELECT 'head', seq || ':' || hash FROM events ORDER BY seq DESC LIMIT 1;
          PRAGMA user_version = 10"
OLD_SUM=$(q old.db "SELECT count(*), max(seq) FROM events")
run env KINFLOW_DB="$T_DIR/old.db" "$K" backup old-copy.db --json
expect_eq "backup of an older database: verified, copied as it is (schema 10), no scratch file left" \
  "0 10 10 $OLD_SUM" \
  "$RC $(echo "$OUT" | py 'd["schema"]') $(q old-copy.db "PRAGMA user_version") $(q old-copy.db "SELECT count(*), max(seq) FROM events")$(ls ./*.verify* 2>/dev/null)"
run env KINFLOW_DB="$T_DIR/upgraded.db" "$K" restore old.db --json
expect_eq "restore of an older database: brought up to this kinflow's schema, and verifies" \
  "0 10 $SCHEMA chain intact" \
  "$RC $(echo "$OUT" | py 'd["schema"]') $(q upgraded.db "PRAGMA user_version") $("$K" --db upgraded.db audit verify | grep -o 'chain intact')"
expect_eq "restore of an older database leaves the file itself as it was" "10" "$(q old.db "PRAGMA user_version")"

# ---- restore into a database that does not exist yet (a new machine) -------------------------
run env KINFLOW_DB="$T_DIR/fresh.db" "$K" restore copy.db
expect_eq "restore into a new database: nothing to keep" "0 $(state copy.db)" "$RC $(state fresh.db)"
expect_eq "restore into a new database: no kept copy named" "" "$(echo "$OUT" | grep 'kept in')"

t_done
