#!/usr/bin/env bash
# scripts/run.sh: what `make run` does after building: sample data, then the web console.
#
#   1. a fresh database: KINFLOW_DB (default ./kinflow.db); an existing file is moved aside
#      to <file>.previous first, so every run starts clean
#   2. deploy the programme library (workflows/*.lua, not the *.test.lua scenario tests)
#   3. load ~37 sample cases across every programme and stage (scripts/sample-data.sh)
#   4. walk one co-parenthood case from referral to restored, step by step
#   5. run the timers at the present: overdue reviews, a lapsed referral
#   6. print the programmes, the cases, the audit check and what to try next
#   7. start the web console (`kinflow serve`) with a demo admin whose password it prints once
#
# KINFLOW_BIN: the binary (default ./kinflow). KINFLOW_NOW: pretend "now" is this time
# (ISO 8601, e.g. 2026-06-01T09:00:00Z); sample dates are relative to it.
set -Eeuo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
STARTED=$(date +%s%N)

KINFLOW_BIN=${KINFLOW_BIN:-$ROOT/kinflow}
export KINFLOW_DB=${KINFLOW_DB:-./kinflow.db}

STEP="starting"
trap 'rc=$?; echo >&2; echo "run.sh: FAILED at step: $STEP (line $LINENO: $BASH_COMMAND, exit $rc)" >&2; exit $rc' ERR

heading() { printf '\n=== %s\n' "$1"; }

STEP="checking the kinflow binary"
if [[ ! -x $KINFLOW_BIN ]]; then
  echo "run.sh: no kinflow binary at $KINFLOW_BIN; build it with 'make' (or set KINFLOW_BIN)" >&2
  exit 1
fi

# --- 1. a fresh database ------------------------------------------------------------------
STEP="initialising the database $KINFLOW_DB"
heading "Database"
if [[ -e $KINFLOW_DB ]]; then
  # The database's companions go with it: SQLite's -wal/-shm/-journal files and the
  # outbox plugin's DB.outbox.jsonl (and its cursor), all named after the database file.
  shopt -s nullglob
  rm -f -- "$KINFLOW_DB.previous" "$KINFLOW_DB.previous"-* "$KINFLOW_DB.previous".outbox*
  for f in "$KINFLOW_DB" "$KINFLOW_DB"-wal "$KINFLOW_DB"-shm "$KINFLOW_DB"-journal \
           "$KINFLOW_DB".outbox*; do
    [[ -e $f ]] || continue
    mv -f -- "$f" "$KINFLOW_DB.previous${f:${#KINFLOW_DB}}"
  done
  shopt -u nullglob
  echo "$KINFLOW_DB existed: moved it aside to $KINFLOW_DB.previous (this run starts clean)"
fi
"$KINFLOW_BIN" init

# --- 2. the programme library -------------------------------------------------------------
STEP="deploying the programme library"
heading "Deploying the programme library"
shopt -s nullglob
WORKFLOWS=()
for f in workflows/*.lua; do
  [[ $f == *.test.lua ]] || WORKFLOWS+=("$f")
done
if ((${#WORKFLOWS[@]} == 0)); then
  echo "run.sh: no workflows/*.lua to deploy" >&2
  exit 1
fi
# One deploy of every file: an adaptation's base is deployed in the same command.
"$KINFLOW_BIN" deploy "${WORKFLOWS[@]}"

# --- 3-4. sample data ---------------------------------------------------------------------
STEP="loading the sample data (scripts/sample-data.sh)"
# shellcheck source=scripts/sample-data.sh
source "$ROOT/scripts/sample-data.sh"

heading "Loading sample cases (invented people; dates relative to $SD_TODAY)"
sample_data_load
echo "  ($SD_CASES sample cases loaded)"

heading "Walkthrough: one co-parenthood case from referral to restoration"
sample_walkthrough

# --- 5. timers at the present -------------------------------------------------------------
STEP="running the timers at the present"
heading "Back to the present: timers due by now (overdue reviews, lapsed referrals)"
"$KINFLOW_BIN" timers run

# --- 6. summary ---------------------------------------------------------------------------
STEP="printing the summary"
heading "Programmes deployed"
"$KINFLOW_BIN" workflows

heading "Cases"
"$KINFLOW_BIN" case list

heading "Audit"
"$KINFLOW_BIN" audit verify

K="./kinflow"
[[ $KINFLOW_BIN == "$ROOT/kinflow" ]] || K=$KINFLOW_BIN
[[ $KINFLOW_DB == ./kinflow.db ]] || K="KINFLOW_DB=$KINFLOW_DB $K"
OVERDUE=${SD_REF_CASE[CP-1987]}     # Stage 1, review overdue, only two ways to co-parent agreed
WAITING=${SD_REF_CASE[YAP-0107]}    # referral waiting for an ACCO worker
CLOSED=${SD_REF_CASE[CP-1870]}      # closed by the supervisor, with the reason
CHANGED=${SD_REF_CASE[CP-1979]}     # the carer changed: one left with a reason, a new one matched
SIBLING=${SD_REF_CASE[CP-1995]}     # siblings in care, their cases linked
CONTINUES=${SD_REF_CASE[CP-2012]}   # a restoration referral continuing a preservation case
RETURNED=${SD_REF_CASE[CP-1822]}    # went home, then returned to care
try=(
  "case show $WALK_CASE"                  "the walkthrough case: Robin Example's family, restored, in follow-up"
  "case history $WALK_CASE"               "every step of it: who did what, and when"
  "case list --overdue"                   "the cases whose review is overdue"
  "case show $OVERDUE"                    "a Stage 1 case whose review is overdue"
  "case moves $OVERDUE --as caseworker"   "why it cannot move to Stage 2 yet"
  "case moves $WAITING --as caseworker"   "a referral waiting for an ACCO worker"
  "case history $CLOSED"                  "a case closed by the supervisor, with the reason"
  "case list --workflow fpr --open"       "one programme's open cases"
  "case list --workflow fpr --state identification --sort priority"   "FPR's identification queue, in priority order"
  "case members $CHANGED"                 "a carer who changed: the one who left is kept, with the reason"
  "case links $SIBLING"                   "siblings in care: their cases linked"
  "case show $CONTINUES"                  "a restoration referral continuing a preservation case (continues_case)"
  "case history $RETURNED"                "a child who went home, then returned to care"
  "report outcomes --by ended_by"         "who ended the work: family, service, goals met, care"
  "setting list"                          "the agency's settings (follow-up months, young parent age)"
  "diagram coparenthood"                  "a programme's stages and moves, as Graphviz DOT"
  "test"                                  "the programmes' scenario tests"
)
width=0
for ((i = 0; i < ${#try[@]}; i += 2)); do
  if ((${#try[i]} > width)); then width=${#try[i]}; fi
done
heading "What to try next"
for ((i = 0; i < ${#try[@]}; i += 2)); do
  printf '  %s %-*s   %s\n' "$K" "$width" "${try[i]}" "${try[i + 1]}"
done

ELAPSED_MS=$((($(date +%s%N) - STARTED) / 1000000))
printf '\nDone in %d.%03ds. Database: %s\n' $((ELAPSED_MS / 1000)) $((ELAPSED_MS % 1000)) "$KINFLOW_DB"

# --- 7. the web console -------------------------------------------------------------------
# A demo admin with a fresh random password, shown once; then the console runs until Ctrl-C.
# KINFLOW_PORT picks the port (default 8080, or any free one when 8080 is taken);
# KINFLOW_NO_SERVE=1 stops here instead.
if [[ -f $ROOT/plugins/console/console.so && ${KINFLOW_NO_SERVE:-} != 1 ]]; then
  STEP="starting the web console"
  heading "Web console"
  PORT=${KINFLOW_PORT:-8080}
  if [[ -z ${KINFLOW_PORT:-} ]] && (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
    echo "(port 8080 is taken: the console takes any free port)"
    PORT=0
  fi
  PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-24)
  printf '%s\n' "$PASSWORD" | "$KINFLOW_BIN" user add admin --role admin --password-stdin
  # Two teams and their people, with the same password, so that who-sees-what can be tried:
  # the sample cases are shared between the two caseworkers' caseloads.
  "$KINFLOW_BIN" team add north >/dev/null && "$KINFLOW_BIN" team add south >/dev/null
  printf '%s\n' "$PASSWORD" | "$KINFLOW_BIN" user add sam.supervisor --role supervisor --team north --password-stdin >/dev/null
  printf '%s\n' "$PASSWORD" | "$KINFLOW_BIN" user add robin.worker --role caseworker --team north --password-stdin >/dev/null
  printf '%s\n' "$PASSWORD" | "$KINFLOW_BIN" user add kit.worker --role caseworker --team south --password-stdin >/dev/null
  n=0
  for id in $("$KINFLOW_BIN" case list --open --limit 500 --json | python3 -c 'import json,sys; print(" ".join(str(c["id"]) for c in json.load(sys.stdin)))'); do
    worker=robin.worker; ((n++ % 2)) && worker=kit.worker
    "$KINFLOW_BIN" case allocate "$id" --to "$worker" --reason "sample caseload" >/dev/null
  done
  # Family accounts on one Stage 2 co-parenthood case: the parent and the carer each see
  # their family page, write in the communication book, and the parent signs the plan.
  FAMILY_CASE=${SD_REF_CASE[CP-1902]}
  for who in "Jamie Placeholder:jamie.parent" "Glen Maple-Example:glen.carer"; do
    member=$("$KINFLOW_BIN" case members "$FAMILY_CASE" --json | python3 -c 'import json,sys; n=sys.argv[1]; print(next(m["id"] for m in json.load(sys.stdin) if m["name"] == n))' "${who%%:*}")
    printf '%s\n' "$PASSWORD" | "$KINFLOW_BIN" user add "${who#*:}" --family "$FAMILY_CASE" --member "$member" --password-stdin >/dev/null
  done
  printf '  sign in as   admin (everything), sam.supervisor (team north), robin.worker (north),\n'
  printf '               kit.worker (south); families: jamie.parent and glen.carer (case %s)\n' "$FAMILY_CASE"
  printf '  password     %s   (the same for each; shown once; only its hash is kept)\n' "$PASSWORD"
  printf '  Ctrl-C stops the console.\n\n'
  trap - ERR
  exec "$KINFLOW_BIN" serve --bind 127.0.0.1 --port "$PORT"
fi
