#!/usr/bin/env bash
# tests/cli/crash.sh: kill -9 at random moments during a stream of real work (transitions
# with guards and actions, form entries, data changes, reviews, timer runs with the clock
# moving on, new cases), then check after every kill that nothing is corrupt or lost:
# PRAGMA integrity_check, `audit verify`, every acknowledged command (exit 0 seen before
# the kill) is present, every case's state is the last transition in its history, timers
# and data agree with the events, and what a killed command did is all there or not at all.
# KINFLOW_CRASH_ITER sets the number of commands (default 200; `make soak` runs 3000).
# KINFLOW_CRASH_SEED repeats a run's sequence of commands (kill moments stay random).
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
command -v sqlite3 >/dev/null || { t_fail "sqlite3" "the sqlite3 command is needed (scripts/install-deps.sh)"; t_done; exit 1; }
# The invariants in the store's SQL; PostgreSQL has no integrity_check of its files.
INVARIANTS=invariants.sql; [ "$T_STORE" = postgresql ] && INVARIANTS=invariants_pg.sql

ITER=${KINFLOW_CRASH_ITER:-}
if [ -z "$ITER" ]; then ITER=200; [ -n "${KINFLOW_SANITIZED:-}" ] && ITER=100; fi
SEED=${KINFLOW_CRASH_SEED:-$(( (RANDOM << 15) | RANDOM ))}
echo "crash: $ITER commands, seed $SEED (KINFLOW_CRASH_SEED=$SEED repeats the commands)"

# The workflow (tests/faults/crashy.lua) and what must hold whatever happens to the commands
# (tests/faults/invariants.sql) are shared with tests/cli/faults.sh.
T0=1704099600   # 2024-01-01T09:00:00Z
NOWT=$T0
set_now() { TZ=UTC printf -v KINFLOW_NOW '%(%Y-%m-%dT%H:%M:%SZ)T' "$NOWT"; export KINFLOW_NOW; }
set_now
cp "$ROOT/tests/faults/crashy.lua" "$ROOT/tests/faults/$INVARIANTS" . || exit 1
"$K" init >/dev/null && "$K" deploy crashy.lua >/dev/null || { t_fail "setup" "init/deploy failed"; t_done; exit 1; }

# ---- calibrate: how long a command takes here (the kill window spans it) ------------------
"$K" case new crashy --ref calib >/dev/null
took=()
for i in 1 2 3 4 5 6 7; do
  t=$(ms_now); "$K" case set calib --data "{\"calib\": $i}" >/dev/null; took+=($(( $(ms_now) - t )))
done
"$K" case fire calib start --as worker >/dev/null
median=$(printf '%s\n' "${took[@]}" | sort -n | sed -n 4p)
WINDOW=$(( median * 12 / 10 + 5 ))   # kill after 0..WINDOW ms: some before, some mid-write, some after
echo "crash: a command takes about ${median} ms here; kills land 0-${WINDOW} ms after the start"

# ---- the checks ----------------------------------------------------------------------------
ACKS="$T_DIR/acks.sql"       # one query per acknowledged command: prints a line if it was lost
: >"$ACKS"; : >"$T_DIR/last_ack.sql"
TIMERS_ACK=""                # the latest KINFLOW_NOW an acknowledged `timers run` ran at

BAD_LINES=""; N_BAD=0
bad() { N_BAD=$((N_BAD + 1)); [ "$N_BAD" -le 12 ] && BAD_LINES="$BAD_LINES
    after command $it ($WHAT, $FATE): $1"; }
N_AUDIT_BAD=0; N_INTEGRITY_BAD=0; N_LOST=0; SEQ=0
OPEN_IDS=(); OPEN_STATES=(); OPEN_VISIT=()

# check [all]: audit verify (the first to open the database after a kill), then the SQL checks;
# with "all", every acknowledged command so far, not only the last one.
check() {
  local out rc line ack_sql=""
  out=$("$K" audit verify 2>&1); rc=$?
  if [ "$rc" -ne 0 ] || [[ "$out" != *"chain intact"* ]]; then N_AUDIT_BAD=$((N_AUDIT_BAD + 1)); bad "audit verify: $out"; fi
  if [ "${1:-}" = all ]; then ack_sql=$ACKS; else ack_sql=$T_DIR/last_ack.sql; fi
  [ -n "$TIMERS_ACK" ] && printf "SELECT 'LOST timer ' || id || ' (' || name || ' of case ' || case_id || ', due ' || due_at || ') still pending after an acknowledged timers run at %s' FROM timers WHERE status = 'pending' AND due_at <= '%s';\n" "$TIMERS_ACK" "$TIMERS_ACK" >"$T_DIR/timers_ack.sql" || : >"$T_DIR/timers_ack.sql"
  out=$(cat "$INVARIANTS" "$ack_sql" "$T_DIR/timers_ack.sql" | t_sql_file 2>&1); rc=$?
  OPEN_IDS=(); OPEN_STATES=(); OPEN_VISIT=()
  local integrity_seen=""; [ "$T_STORE" = postgresql ] && integrity_seen=1
  while IFS= read -r line; do
    case "$line" in
      ok) integrity_seen=1 ;;
      "SEQ "*) SEQ=${line#SEQ } ;;
      "CASE "*) set -- $line; OPEN_IDS+=("$2"); OPEN_STATES+=("$3"); OPEN_VISIT+=("$4") ;;
      "LOST "*) N_LOST=$((N_LOST + 1)); bad "$line" ;;
      "BAD "*) bad "$line" ;;
      *) N_INTEGRITY_BAD=$((N_INTEGRITY_BAD + 1)); bad "$INVARIANTS: $line" ;;
    esac
  done <<<"$out"
  if [ "$rc" -ne 0 ] || [ -z "$integrity_seen" ]; then N_INTEGRITY_BAD=$((N_INTEGRITY_BAD + 1)); bad "integrity_check: exit $rc: $out"; fi
}

# ---- the stream of work, killed at random moments -----------------------------------------
mkfifo "$T_DIR/tick" && exec 9<>"$T_DIR/tick"   # `read -t` on it: a sleep of milliseconds, no fork
KILLS=0; ACKED=0; REFUSED=0; KILLED_COMMITTED=0; KILLED_NOTHING=0; ODD=0; N_TIMERS=0
declare -A KIND_KILLS=()
it=0; WHAT="the first check"; FATE="-"
check
for it in $(seq 1 "$ITER"); do
  NOWT=$(( NOWT + RANDOM % 43200 ))    # the clock moves on 0-12 h per command: timers fall due
  set_now
  n=${#OPEN_IDS[@]}
  r=$((RANDOM % 100))
  ACK=""
  if [ "$n" -lt 4 ] || [ "$r" -lt 5 ]; then
    WHAT="case new R$it"
    CMD=("$K" case new crashy --ref "R$it" --data "{\"mark\": 0, \"opened_by\": \"it-$it\"}")
    ACK="SELECT 'LOST case R$it (case new acknowledged)' WHERE NOT EXISTS (SELECT 1 FROM cases WHERE ref = 'R$it');"
  elif [ "$r" -lt 25 ]; then
    WHAT="timers run"; N_TIMERS=$((N_TIMERS + 1))
    CMD=("$K" timers run)
  else
    k=$((RANDOM % n)); C=${OPEN_IDS[$k]}; S=${OPEN_STATES[$k]}; V=${OPEN_VISIT[$k]}
    if [ "$r" -lt 55 ]; then
      case "$S" in
        intake) T=start; ROLE=worker ;;
        active) if [ "$V" = 1 ] && [ $((RANDOM % 3)) -eq 0 ]; then T=finish; ROLE=supervisor; else T=pause; ROLE=worker; fi ;;
        *) T=start; ROLE=worker ;;
      esac
      WHAT="fire $T on case $C"
      CMD=("$K" case fire "$C" "$T" --as "$ROLE" --reason "it-$it")
      ACK="SELECT 'LOST transition $T of case $C (command $it acknowledged)' WHERE NOT EXISTS (SELECT 1 FROM events WHERE case_id = $C AND kind = 'case.transition' AND name = '$T' AND reason = 'it-$it');"
    elif [ "$r" -lt 75 ]; then
      WHAT="form submit visit on case $C"
      CMD=("$K" form submit "$C" visit --data "{\"visit_date\": \"${KINFLOW_NOW:0:10}\", \"n\": $it, \"mood\": \"settled\"}")
      ACK="SELECT 'LOST entry n=$it of case $C (form submit acknowledged)' WHERE NOT EXISTS (SELECT 1 FROM entries WHERE case_id = $C AND valid != 0 AND $(t_jnum data n) = $it);"
    elif [ "$r" -lt 90 ] || [ "$S" != active ]; then
      hold=false; [ $((RANDOM % 4)) -eq 0 ] && hold=true
      WHAT="case set on case $C"
      CMD=("$K" case set "$C" --data "{\"mark\": $it, \"hold\": $hold}")
      ACK="SELECT 'LOST data mark=$it of case $C (case set acknowledged; it has ' || coalesce($(t_jtext data mark), 'none') || ')' FROM cases WHERE id = $C AND coalesce($(t_jnum data mark), -1) < $it;"
    else
      WHAT="case review on case $C"
      CMD=("$K" case review "$C" --note "it-$it")
      ACK="SELECT 'LOST review it-$it of case $C (acknowledged)' WHERE NOT EXISTS (SELECT 1 FROM events WHERE case_id = $C AND kind = 'review.recorded' AND $(t_jtext data note) = 'it-$it');"
    fi
  fi
  before=$SEQ
  "${CMD[@]}" >"$T_DIR/cmd.out" 2>"$T_DIR/cmd.err" &
  pid=$!
  # half the kills anywhere in the window, half in its later two thirds (Lua, writes, commit):
  # most of a command's life is starting up
  if [ $((it % 2)) -eq 0 ]; then delay=$((RANDOM % (WINDOW + 1))); else delay=$((WINDOW / 3 + RANDOM % (WINDOW * 2 / 3 + 1))); fi
  printf -v secs '%d.%03d' $((delay / 1000)) $((delay % 1000))
  read -r -t "$secs" -u 9 _
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null; rc=$?
  # Keep about two kills in three: a window about 1.5 times as long as a command spreads the
  # kills evenly over its life (opening, Lua, writes, commit, after the commit).
  if [ "$rc" = 137 ]; then WINDOW=$(( WINDOW * 105 / 100 + 1 )); else WINDOW=$(( WINDOW * 90 / 100 + 1 )); fi
  : >"$T_DIR/last_ack.sql"
  case $rc in
    0) FATE=acknowledged; ACKED=$((ACKED + 1))
       if [ -n "$ACK" ]; then echo "$ACK" >>"$ACKS"; echo "$ACK" >"$T_DIR/last_ack.sql"; fi
       [ "$WHAT" = "timers run" ] && TIMERS_ACK=$KINFLOW_NOW ;;
    137) FATE="killed after ${delay} ms"; KILLS=$((KILLS + 1)); KIND_KILLS[${WHAT%% *}]=$(( ${KIND_KILLS[${WHAT%% *}]:-0} + 1 )) ;;
    1) FATE=refused; REFUSED=$((REFUSED + 1))
       err=$(cat "$T_DIR/cmd.err")
       if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || [[ "$err" == *malformed* || "$err" == *corrupt* || "$err" == *locked* || "$err" == *busy* || "$err" == *"I/O"* ]]; then
         ODD=$((ODD + 1)); bad "refused without one clear line: $err"
       fi ;;
    *) FATE="exit $rc"; ODD=$((ODD + 1)); bad "exit $rc: $(head -c 300 "$T_DIR/cmd.err")" ;;
  esac
  if [ $((it % 25)) -eq 0 ]; then check all; else check; fi
  if [ "$rc" = 137 ]; then
    if [ "$SEQ" -gt "$before" ]; then KILLED_COMMITTED=$((KILLED_COMMITTED + 1)); else KILLED_NOTHING=$((KILLED_NOTHING + 1)); fi
  fi
done
it=end; WHAT="the last check"; FATE="-"
check all

kinds=""; for k in "${!KIND_KILLS[@]}"; do kinds="$kinds $k:${KIND_KILLS[$k]}"; done
echo "crash: $ITER commands: kill window ended at ${WINDOW} ms; $KILLS killed (by command:$kinds; $KILLED_COMMITTED had committed, $KILLED_NOTHING had not), $ACKED acknowledged, $REFUSED refused; $SEQ events, $(t_sql 'SELECT count(*) FROM cases') cases"
[ -n "$BAD_LINES" ] && echo "crash: first problems (seed $SEED):$BAD_LINES"

# ---- the verdicts ----------------------------------------------------------------------------
min_kills=$(( ITER / 3 ))
if [ "$KILLS" -ge "$min_kills" ]; then t_ok "killed $KILLS of $ITER commands with SIGKILL (at least $min_kills)"
else t_fail "enough kills" "only $KILLS of $ITER commands were killed (window ${WINDOW} ms)"; fi
if [ "$KILLED_COMMITTED" -gt 0 ] && [ "$KILLED_NOTHING" -gt 0 ]; then t_ok "kills landed both before and after commits"
else t_fail "kills landed both before and after commits" "$KILLED_COMMITTED after, $KILLED_NOTHING before"; fi
[ "$ACKED" -gt 0 ] && t_ok "$ACKED commands acknowledged" || t_fail "commands acknowledged" "none finished"
if [ "$T_STORE" = postgresql ]; then
  t_skip "PRAGMA integrity_check ok after every command" "SQLite's check of its file; PostgreSQL's files are the server's"
  [ "$N_INTEGRITY_BAD" -eq 0 ] && t_ok "the invariants' SQL ran cleanly after every command" || t_fail "the invariants' SQL after every command" "$N_INTEGRITY_BAD failures"
else
  [ "$N_INTEGRITY_BAD" -eq 0 ] && t_ok "PRAGMA integrity_check ok after every command" || t_fail "integrity_check after every command" "$N_INTEGRITY_BAD failures"
fi
[ "$N_AUDIT_BAD" -eq 0 ] && t_ok "audit verify passes after every command" || t_fail "audit verify after every command" "$N_AUDIT_BAD failures"
[ "$N_LOST" -eq 0 ] && t_ok "no acknowledged change lost" || t_fail "no acknowledged change lost" "$N_LOST lost"
N_INV=$(( N_BAD - N_LOST - N_AUDIT_BAD - N_INTEGRITY_BAD - ODD ))
[ "$N_INV" -eq 0 ] && t_ok "state = last transition; timers, actions, entries agree with events; head in meta" \
  || t_fail "state, timers, actions and entries agree with the events" "$N_INV problems"
[ "$ODD" -eq 0 ] && t_ok "commands not killed exit 0 or 1 with one clear line" || t_fail "commands exit 0 or 1 with one clear line" "$ODD odd exits"
[ "$N_TIMERS" -gt 0 ] && [ -n "$TIMERS_ACK" ] && t_ok "timer runs acknowledged and checked" || t_fail "timer runs" "none acknowledged"
# the engine still works on the database every kill went through
run "$K" case new crashy --ref after-crashes
if [ "$RC" -eq 0 ]; then t_ok "the engine opens and writes the database afterwards"; else t_fail "the engine writes afterwards" "$ERR"; fi
t_done
