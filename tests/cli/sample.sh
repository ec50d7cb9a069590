#!/usr/bin/env bash
# tests/cli/sample.sh: `make run`'s set-up on a fresh database (scripts/run.sh with
# KINFLOW_NO_SERVE=1): the programme library deploys, every sample case loads through the
# real binary, the timers run and the audit chain holds. The sample data uses the newest
# records of each programme, so a change to a programme that breaks it fails here.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1

SAMPLE=$(t_newdb sample)   # a file on SQLite, a database of its own on PostgreSQL
run env KINFLOW_DB="$SAMPLE" KINFLOW_NO_SERVE=1 KINFLOW_BIN="$K" bash "$ROOT/scripts/run.sh"
if [ "$RC" -eq 0 ]; then t_ok "make run's sample data loads"
else t_fail "make run's sample data loads" "exit $RC: $(echo "$OUT$ERR" | grep -A6 FAILED | head -8)"; fi
n=$(KINFLOW_DB="$SAMPLE" "$K" case list --limit 500 --json | py 'len(d)')
[ "$n" -ge 30 ] && t_ok "at least 30 sample cases ($n)" || t_fail "sample cases" "$n"
expect_out "the sample's audit chain holds" "chain intact" env KINFLOW_DB="$SAMPLE" "$K" audit verify
t_done
