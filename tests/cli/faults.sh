#!/usr/bin/env bash
# tests/cli/faults.sh: disk full and I/O errors. Writes fail mid-transaction through a
# file-size limit (ulimit -f), an LD_PRELOAD shim that fails the N-th write, sync or read of
# the database's files (tests/faults/failio.c: EIO, or ENOSPC for a full disk), and a tiny
# filesystem (a tmpfs in a private mount namespace; skipped where mounting is not allowed).
# Each failed command exits 1 with one line saying what went wrong, never a signal; nothing
# is half-written: the database opens, passes integrity_check and `audit verify`, every
# case's state is its last transition, and a failed command left no trace. An exit 0 means
# the change is there.
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
command -v sqlite3 >/dev/null || { t_fail "sqlite3" "the sqlite3 command is needed (scripts/install-deps.sh)"; t_done; exit 1; }
cp "$ROOT/tests/faults/crashy.lua" "$ROOT/tests/faults/invariants.sql" . || exit 1
export KINFLOW_NOW=2024-01-01T09:00:00Z

# How many failure points each sweep tries (fewer on the slower sanitized build).
POINTS=16; [ -n "${KINFLOW_SANITIZED:-}" ] && POINTS=8

# A clear disk problem, in one line (what the engine says for SQLITE_FULL and SQLITE_IOERR).
DISK_RE='disk full|could not write|file-size limit|I/O error'

big() { head -c "$1" /dev/zero | tr '\0' "${2:-x}"; }   # big N [CHAR]: N characters
BIG=$(big 80000)

# inspect: `audit verify` (the first to open the database after a failure, as a user would),
# then in one sqlite3 run integrity_check, the invariants of tests/faults/invariants.sql and
# every table the engine keeps. Sets PROBLEMS (empty when all is well), DIGEST (a hash of the
# tables: a failed command must leave it as it was) and F_STATE (case F's state).
inspect() {
  local out bad
  PROBLEMS=""; rm -f "$T_DIR/tables"
  out=$("$K" audit verify 2>&1)
  [[ "$out" == *"chain intact"* ]] || PROBLEMS="audit verify: $out; "
  out=$( { cat invariants.sql; echo "SELECT 'F ' || state FROM cases WHERE ref = 'F';"
           echo ".output $T_DIR/tables"; echo "SELECT * FROM cases ORDER BY id; SELECT * FROM entries ORDER BY id;"
           echo "SELECT * FROM events ORDER BY seq; SELECT * FROM timers ORDER BY id; SELECT * FROM members ORDER BY id;"
           echo "SELECT id, kind, name, version, hash FROM definitions ORDER BY id; SELECT * FROM meta ORDER BY key;"
         } | sqlite3 -batch "$KINFLOW_DB" 2>&1)
  [[ "$out" == ok* ]] || PROBLEMS="${PROBLEMS}integrity_check: $(echo "$out" | head -3 | tr '\n' ' '); "
  bad=$(echo "$out" | grep -E '^BAD' | head -3 | tr '\n' ' ')
  [ -n "$bad" ] && PROBLEMS="$PROBLEMS$bad"
  F_STATE=$(echo "$out" | sed -n 's/^F //p')
  DIGEST=$(md5sum <"$T_DIR/tables" 2>&1)
}

# one_line: is $ERR a single "kinflow: ..." line matching $1?
one_line() {
  [ -n "$ERR" ] && [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] && [[ "$ERR" == kinflow:* ]] && [[ "$ERR" =~ $1 ]]
}

# limited KB CMD...: runs CMD with files capped at KB kilobytes (SIGXFSZ ignored, as the
# engine's main does too: an ignored signal stays ignored across exec). $OUT, $ERR, $RC.
limited() {
  local kb=$1; shift
  OUT=$( (trap '' XFSZ; ulimit -f "$kb"; exec "$@") 2>"$T_DIR/.err"); RC=$?
  ERR=$(cat "$T_DIR/.err")
}

# ---- PostgreSQL: the server refuses the writes ----------------------------------------------
# The database's files are the server's there: a file-size limit, the shim and a tiny
# filesystem act on kinflow's process, which writes none. What kinflow meets instead is the
# server refusing a write mid-command; here the database is made read-only under it. Each
# command exits 1 with one line, nothing is half-written, and it works once writes are back.
if [ "$T_STORE" = postgresql ]; then
  for c in "case set" "form submit" "case new" "case fire (an action on a large case)" "deploy" "timers run"; do
    t_skip "$c: the file-size limit" "kinflow writes no database file on PostgreSQL (the server does)"
  done
  t_skip "ulimit -f sweep, init under a limit, the failio shim, a tiny filesystem" "the same: they fail kinflow's own writes to SQLite's files"
  pg_inspect() {  # PROBLEMS, DIGEST as inspect sets them, on PostgreSQL
    local out
    PROBLEMS=""
    out=$("$K" audit verify 2>&1)
    [[ "$out" == *"chain intact"* ]] || PROBLEMS="audit verify: $out; "
    out=$(t_sql_file <invariants_pg.sql 2>&1)
    [ -n "$(echo "$out" | grep -v -E '^(SEQ|CASE) ')" ] && PROBLEMS="$PROBLEMS$(echo "$out" | grep -v -E '^(SEQ|CASE) ' | head -3 | tr '\n' ' ')"
    DIGEST=$(t_sql_file <<'SQL' | md5sum
SELECT * FROM cases ORDER BY id; SELECT * FROM entries ORDER BY id; SELECT * FROM events ORDER BY seq;
SELECT * FROM timers ORDER BY id; SELECT * FROM members ORDER BY id;
SELECT id, kind, name, version, hash FROM definitions ORDER BY id; SELECT * FROM meta ORDER BY key;
SQL
)
  }
  read_only() { t_sql "ALTER DATABASE \"${KINFLOW_DB##*/}\" SET default_transaction_read_only = $1" "${KINFLOW_DB%/*}/postgres"; }
  pg_fails_clean() {  # NAME PRESENT-SQL CMD...: as expect_fails_clean, the database read-only
    local name=$1 present=$2 before; shift 2
    pg_inspect; before=$DIGEST
    read_only on; run "$@"; read_only off
    if [ "$RC" -ne 1 ]; then t_fail "$name: exit 1 when the server refuses the write" "exit $RC: $ERR"
    elif ! one_line "read-only"; then t_fail "$name: one clear line" "$ERR"
    else t_ok "$name: exit 1 with one line ($ERR)"; fi
    pg_inspect
    expect_eq "$name: nothing half-written" "$before" "$DIGEST"
    expect_eq "$name: healthy afterwards" "" "$PROBLEMS"
    run "$@"
    if [ "$RC" -eq 0 ] && [ "$(t_sql "$present")" != 0 ]; then t_ok "$name: succeeds once the server takes writes"
    else t_fail "$name: succeeds once the server takes writes" "exit $RC: $ERR"; fi
  }
  cp "$ROOT/tests/faults/invariants_pg.sql" . || exit 1
  "$K" init >/dev/null && "$K" deploy crashy.lua >/dev/null || { t_fail "setup" "init/deploy failed"; t_done; exit 1; }
  for r in A B C D; do "$K" case new crashy --ref "$r" >/dev/null; done
  "$K" case fire B start --as worker >/dev/null
  "$K" case set C --data "{\"big\": \"$BIG\"}" >/dev/null
  pg_fails_clean "case set" "SELECT count(*) FROM cases WHERE ref = 'A' AND $(t_jtext data notes) IS NOT NULL" \
    "$K" case set A --data "{\"notes\": \"$BIG\"}"
  pg_fails_clean "form submit" "SELECT count(*) FROM entries WHERE $(t_jnum data n) = 1" \
    "$K" form submit B visit --data "{\"visit_date\": \"2024-01-01\", \"n\": 1, \"notes\": \"$BIG\"}"
  pg_fails_clean "case new" "SELECT count(*) FROM cases WHERE ref = 'E'" \
    "$K" case new crashy --ref E --data "{\"notes\": \"$BIG\"}"
  pg_fails_clean "case fire (an action on a large case)" "SELECT count(*) FROM events e JOIN cases c ON c.id = e.case_id WHERE c.ref = 'C' AND e.name = 'start'" \
    "$K" case fire C start --as worker
  { cat crashy.lua; echo "-- $BIG"; } | sed 's/name = "crashy"/name = "crashy2"/' >crashy2.lua
  pg_fails_clean "deploy" "SELECT count(*) FROM definitions WHERE name = 'crashy2'" "$K" deploy crashy2.lua
  export KINFLOW_NOW=2024-01-09T10:00:00Z
  pg_fails_clean "timers run" "SELECT count(*) FROM timers WHERE status != 'pending' AND due_at <= '$KINFLOW_NOW' AND kind = 'review'" \
    "$K" timers run
  t_done; exit
fi

# ---- inside a private mount namespace: a 1 MiB tmpfs fills up --------------------------------
if [ "${1:-}" = --inside ]; then
  mkdir -p small && mount -t tmpfs -o size=1m tmpfs "$T_DIR/small" || { t_fail "tiny filesystem: mount" "failed"; t_done; exit 1; }
  export KINFLOW_DB="$T_DIR/small/k.db"
  "$K" init >/dev/null && "$K" deploy crashy.lua >/dev/null || { t_fail "tiny filesystem: setup" "init/deploy failed"; t_done; exit 1; }
  for r in A B; do "$K" case new crashy --ref "$r" >/dev/null; done
  "$K" case fire B start --as worker >/dev/null
  trap 'umount "$T_DIR/small" 2>/dev/null; t_cleanup' EXIT
  # fill the disk but for 512 kB: a few commands fit, then the disk is full mid-write
  dd if=/dev/zero of=small/room bs=4k count=128 2>/dev/null
  dd if=/dev/zero of=small/filler bs=4k 2>/dev/null
  rm -f small/room
  # On a full disk nothing can open the database (SQLite must create its -shm file), so the
  # checks run on a copy of the files as they are on the disk (no process has them open).
  mkdir -p copy
  on_copy() {
    rm -f copy/*; cp small/k.db copy/k.db; [ -e small/k.db-wal ] && cp small/k.db-wal copy/k.db-wal
    KINFLOW_DB="$T_DIR/copy/k.db" "$@"
  }
  bad=""; fails=0; oks=0; msg=""
  for i in $(seq 1 60); do              # cases and entries pile up until the disk is full
    [ "$fails" -ge 4 ] && break
    on_copy inspect; before=$DIGEST
    case $((i % 3)) in
      0) what="form submit $i"; present="SELECT count(*) FROM entries WHERE json_extract(data, '\$.n') = $i"
         run "$K" form submit B visit --data "{\"visit_date\": \"2024-01-01\", \"n\": $i, \"notes\": \"$(big 20000 n)\"}" ;;
      1) what="case set $i"; present="SELECT count(*) FROM cases WHERE json_extract(data, '\$.mark') = $i"
         run "$K" case set A --data "{\"mark\": $i, \"notes$i\": \"$(big 25000 m)\"}" ;;
      2) what="case new $i"; present="SELECT count(*) FROM cases WHERE ref = 'N$i'"
         run "$K" case new crashy --ref "N$i" --data "{\"notes\": \"$(big 15000 c)\"}" ;;
    esac
    case $RC in
      0) oks=$((oks + 1)); [ "$(on_copy sqlite3 copy/k.db "$present" 2>&1)" = 1 ] || bad="$bad [$what: exit 0 but not there]" ;;
      1) fails=$((fails + 1)); [[ "$msg" == *"${ERR:0:70}"* ]] || msg="$msg | $ERR"
         one_line "disk full|could not write" || bad="$bad [$what: $ERR]"
         ;;
      *) bad="$bad [$what: exit $RC: $ERR]" ;;
    esac
    on_copy inspect
    [ "$RC" = 1 ] && [ "$DIGEST" != "$before" ] && bad="$bad [$what: exit 1 but the database changed]"
    [ -n "$PROBLEMS" ] && bad="$bad [$what: $PROBLEMS]"
  done
  if [ -z "$bad" ]; then t_ok "tiny filesystem: $oks commands done, then $fails refused with one line"; echo "  the disk full said:$msg" | cut -c1-400
  else t_fail "tiny filesystem: commands on a filling disk" "$bad"; fi
  [ "$fails" -gt 0 ] || t_fail "tiny filesystem: the disk filled up" "no command failed ($oks done)"
  rm -f small/filler
  run "$K" case set A --data '{"after": "room again"}'
  if [ "$RC" -eq 0 ]; then t_ok "tiny filesystem: works again once there is room"; else t_fail "tiny filesystem: works again" "exit $RC: $ERR"; fi
  inspect; expect_eq "tiny filesystem: healthy at the end" "" "$PROBLEMS"
  t_done; exit
fi

"$K" init >/dev/null && "$K" deploy crashy.lua >/dev/null || { t_fail "setup" "init/deploy failed"; t_done; exit 1; }
for r in A B C D; do "$K" case new crashy --ref "$r" >/dev/null; done
"$K" case fire B start --as worker >/dev/null
"$K" case set C --data "{\"big\": \"$BIG\"}" >/dev/null       # firing C rewrites 80 kB

# expect_fails_clean NAME PRESENT-SQL CMD...: under a 40 kB file limit (LIMIT_KB), CMD exits 1
# with one clear line and changes nothing; the database is healthy; without the limit CMD
# succeeds and PRESENT-SQL (a count) becomes non-zero.
expect_fails_clean() {
  local name=$1 present=$2; shift 2
  sqlite3 "$KINFLOW_DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  inspect; local before=$DIGEST
  limited "${LIMIT_KB:-40}" "$@"
  if [ "$RC" -ne 1 ]; then t_fail "$name: exit 1 when a write passes the file-size limit" "exit $RC: $ERR"
  elif ! one_line "$DISK_RE"; then t_fail "$name: one clear line" "$ERR"
  else t_ok "$name: exit 1 with one line ($ERR)"; fi
  inspect
  expect_eq "$name: nothing half-written" "$before" "$DIGEST"
  expect_eq "$name: healthy afterwards" "" "$PROBLEMS"
  run "$@"
  if [ "$RC" -eq 0 ] && [ "$(sqlite3 "$KINFLOW_DB" "$present")" != 0 ]; then t_ok "$name: succeeds without the limit"
  else t_fail "$name: succeeds without the limit" "exit $RC: $ERR"; fi
}

# ---- ulimit -f: each kind of write fails mid-transaction --------------------------------------

expect_fails_clean "case set" "SELECT count(*) FROM cases WHERE ref = 'A' AND json_extract(data, '\$.notes') IS NOT NULL" \
  "$K" case set A --data "{\"notes\": \"$BIG\"}"
expect_fails_clean "form submit" "SELECT count(*) FROM entries WHERE json_extract(data, '\$.n') = 1" \
  "$K" form submit B visit --data "{\"visit_date\": \"2024-01-01\", \"n\": 1, \"notes\": \"$BIG\"}"
expect_fails_clean "case new" "SELECT count(*) FROM cases WHERE ref = 'E'" \
  "$K" case new crashy --ref E --data "{\"notes\": \"$BIG\"}"
expect_fails_clean "case fire (an action on a large case)" "SELECT count(*) FROM events e JOIN cases c ON c.id = e.case_id WHERE c.ref = 'C' AND e.name = 'start'" \
  "$K" case fire C start --as worker
{ cat crashy.lua; echo "-- $BIG"; } | sed 's/name = "crashy"/name = "crashy2"/' >crashy2.lua
expect_fails_clean "deploy" "SELECT count(*) FROM definitions WHERE name = 'crashy2'" "$K" deploy crashy2.lua
export KINFLOW_NOW=2024-01-09T10:00:00Z   # C's review and D's, E's lapse are due: firing D and E rewrites 80 kB
"$K" case set D --data "{\"big\": \"$BIG\"}" >/dev/null
# A's lapse comes first and its transaction writes about 20 kB (a small case): 16 kB stops it
LIMIT_KB=16 expect_fails_clean "timers run" "SELECT count(*) FROM timers WHERE status != 'pending' AND due_at <= '$KINFLOW_NOW' AND kind = 'review'" \
  "$K" timers run

# ---- without the shell's help: kinflow ignores SIGXFSZ itself --------------------------------
sqlite3 "$KINFLOW_DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
inspect; before=$DIGEST
OUT=$( (ulimit -f 40; exec "$K" case set A --data "{\"again\": \"$BIG\"}") 2>"$T_DIR/.err"); RC=$?; ERR=$(cat "$T_DIR/.err")
if [ "$RC" -eq 1 ] && one_line "$DISK_RE"; then t_ok "SIGXFSZ not ignored by the shell: still exit 1 with one line"
else t_fail "kinflow ignores SIGXFSZ itself (engine/main.c)" "exit $RC (153 = killed by SIGXFSZ): $ERR"; fi
inspect; expect_eq "SIGXFSZ: nothing half-written" "$before" "$DIGEST"

# ---- ulimit -f: a sweep of limits, so the failure lands at every stage of a write ------------
# (the WAL append, the commit, the checkpoint after it). Exit 0 means the change is there.
sweep_bad=""; fails=0; oks=0
inspect
for kb in $(seq 32 $((384 / POINTS)) 420); do
  before=$DIGEST
  limited "$kb" "$K" case set A --data "{\"mark\": $kb, \"filler\": \"$(big $((kb * 200)) y)\"}"
  mark=$(sqlite3 "$KINFLOW_DB" "SELECT json_extract(data, '\$.mark') FROM cases WHERE ref = 'A'")
  case $RC in
    0) oks=$((oks + 1)); [ "$mark" = "$kb" ] || sweep_bad="$sweep_bad [limit $kb kB: exit 0 but mark is $mark]" ;;
    1) fails=$((fails + 1))
       one_line "$DISK_RE" || sweep_bad="$sweep_bad [limit $kb kB: $ERR]" ;;
    *) sweep_bad="$sweep_bad [limit $kb kB: exit $RC: $ERR]" ;;
  esac
  inspect
  [ "$RC" = 1 ] && [ "$DIGEST" != "$before" ] && sweep_bad="$sweep_bad [limit $kb kB: exit 1 but the database changed]"
  [ -n "$PROBLEMS" ] && sweep_bad="$sweep_bad [limit $kb kB: $PROBLEMS]"
done
if [ -z "$sweep_bad" ]; then t_ok "limit sweep: $fails refused cleanly, $oks done, healthy after each"
else t_fail "limit sweep" "$sweep_bad"; fi
[ "$fails" -gt 0 ] && [ "$oks" -gt 0 ] && t_ok "limit sweep: both outcomes seen" || t_fail "limit sweep: both outcomes seen" "$fails failed, $oks done"

# ---- init on a new database under a limit ----------------------------------------------------
limited 16 "$K" --db "$T_DIR/new.db" init
if [ "$RC" -eq 1 ] && one_line "$DISK_RE"; then t_ok "init under a 16 kB limit: exit 1 with one line"
else t_fail "init under a 16 kB limit" "exit $RC: $ERR"; fi
run "$K" --db "$T_DIR/new.db" init
if [ "$RC" -eq 0 ] && "$K" --db "$T_DIR/new.db" audit verify >/dev/null 2>&1; then t_ok "init afterwards, without the limit, works"
else t_fail "init afterwards works" "exit $RC: $ERR"; fi

# ---- I/O errors: the N-th write, sync or read of the database's files fails ------------------
SHIM="$T_DIR/failio.so"
if ${CC:-cc} -O1 -shared -fPIC -o "$SHIM" "$ROOT/tests/faults/failio.c" -ldl 2>"$T_DIR/cc.err"; then
  DBABS=$(cd "$(dirname "$KINFLOW_DB")" && pwd)/$(basename "$KINFLOW_DB")
  # the sanitized build must accept a preloaded library ahead of its runtime
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"; export ASAN_OPTIONS
  "$K" case new crashy --ref F >/dev/null
  REASON=0
  # shim OP ERRNO STICKY N CMD...: runs CMD failing the N-th OP call; $RC, $ERR; $SEEN calls.
  shim() {
    local op=$1 eno=$2 sticky=$3 n=$4; shift 4
    OUT=$(KF_FAIL_OP=$op KF_FAIL_ERRNO=$eno KF_FAIL_STICKY=$sticky KF_FAIL_N=$n KF_FAIL_PATH=$DBABS \
          KF_FAIL_COUNT="$T_DIR/seen" LD_PRELOAD="$SHIM" "$@" 2>"$T_DIR/.err"); RC=$?
    ERR=$(cat "$T_DIR/.err"); SEEN=$(cut -d' ' -f1 "$T_DIR/seen" 2>/dev/null)
  }
  # the next move for case F: start and pause in turn, so that every run has work to do
  next_move() {
    if [ "$F_STATE" = intake ]; then MOVE=(start --as worker); else MOVE=(pause --as worker); fi
  }
  # sweep LABEL OP ERRNO STICKY: fails call 1, 2, ... of OP (POINTS of them spread over all of
  # them) while case F moves; each run exits 0 with the move made, or 1 with one line and no trace.
  sweep() {
    local label=$1 op=$2 eno=$3 sticky=$4 also=${5:-$DISK_RE} total n step bad="" fails=0 oks=0 before h msgs=""
    inspect; next_move; shim "$op" "$eno" 0 0 "$K" case fire F "${MOVE[@]}"
    total=${SEEN:-0}
    inspect
    if [ "$RC" -ne 0 ] || [ "$total" -eq 0 ]; then t_fail "$label: counting $op calls" "exit $RC, $total calls: $ERR"; return; fi
    step=$(( (total + POINTS - 1) / POINTS ))
    for n in $(seq 1 "$step" "$total"); do
      next_move; before=$DIGEST
      REASON=$((REASON + 1))
      shim "$op" "$eno" "$sticky" "$n" "$K" case fire F "${MOVE[@]}" --reason "r$REASON"
      case $RC in
        0) oks=$((oks + 1))
           [ "$(sqlite3 "$KINFLOW_DB" "SELECT count(*) FROM events WHERE reason = 'r$REASON' AND name = '${MOVE[0]}'")" = 1 ] \
             || bad="$bad [call $n: exit 0 but no event]" ;;
        1) fails=$((fails + 1))
           one_line "$also" || bad="$bad [call $n: $ERR]"
           [[ "$msgs" == *"${ERR:0:60}"* ]] || msgs="$msgs | $ERR" ;;
        *) bad="$bad [call $n: exit $RC: $(echo "$ERR" | head -2)]" ;;
      esac
      inspect
      [ "$RC" = 1 ] && [ "$DIGEST" != "$before" ] && bad="$bad [call $n: exit 1 but the database changed: $ERR]"
      [ -n "$PROBLEMS" ] && bad="$bad [call $n: $PROBLEMS]"
    done
    if [ -z "$bad" ]; then t_ok "$label: $total calls, $fails refused cleanly, $oks done, healthy after each"
    else t_fail "$label" "$bad"; fi
    [ "$fails" -gt 0 ] || t_fail "$label: some runs fail" "no run failed ($oks done)"
    echo "  $label said:${msgs:- nothing}" | cut -c1-400
  }
  sweep "EIO on one write" write 5 0              # EIO = 5
  sweep "ENOSPC from one write on (disk full)" write 28 1   # ENOSPC = 28
  sweep "EIO on a sync" sync 5 0
  # SQLite reports EIO from a read as SQLITE_IOERR_CORRUPTFS ("malformed") though the file is
  # sound: the engine says it could not read the file, and that nothing was changed.
  sweep "EIO on a read" read 5 0 "$DISK_RE|could not read it"
else
  t_fail "failio shim" "cannot compile tests/faults/failio.c: $(head -3 "$T_DIR/cc.err")"
fi

# ---- a tiny filesystem that fills up ---------------------------------------------------------
# A tmpfs of 1 MiB mounted in a private mount namespace (unshare: as root, or as a user with
# user namespaces), so nothing leaks into the host's mounts; skipped where neither works. The
# same script runs inside the namespace with --inside (see the top) and reports its counts.
if [ "$(id -u)" = 0 ]; then NS=(unshare -m --propagation private); else NS=(unshare -r -m --propagation private); fi
if command -v unshare >/dev/null && "${NS[@]}" sh -c "mount -t tmpfs -o size=64k tmpfs '$T_DIR'" >/dev/null 2>&1; then
  out=$("${NS[@]}" bash "$SELF" --inside 2>&1); rc=$?
  echo "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed$'
  T_FAIL=$((T_FAIL + $(echo "$out" | grep -c '^FAIL '))); T_PASS=$((T_PASS + $(echo "$out" | grep -c '^ok ')))
  echo "$out" | grep -qE '^[0-9]+ passed, [0-9]+ failed$' || t_fail "tiny filesystem" "the inner run ended without a summary (exit $rc)"
else
  echo "skip tiny filesystem: cannot mount a tmpfs in a private mount namespace here"
fi
t_done
