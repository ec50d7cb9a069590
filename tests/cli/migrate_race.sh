#!/usr/bin/env bash
# tests/cli/migrate_race.sh: a migration run racing other processes. 2000 open cases; while
# `kinflow migrate run` moves them, three other kinflow processes fire transitions on the
# same cases (and close some). The firers keep to the last quarter of the cases, the ones
# the run (which moves cases in id order) reaches last, so that nearly every fire made while
# the run goes is on a case it listed and has not moved yet, however fast the machine.
# Afterwards every case is either migrated (on v2, one case.migrated event, in the run's
# moved list) or left on v1 and listed as changed or closed meanwhile; every fire that
# succeeded is in the log (events counted); no fire waited out the outbox's delivery; the
# hash chain verifies; a second run moves the rest.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
N=${KINFLOW_RACE_CASES:-2000}
HOT=$((N / 4))

cat >v1.lua <<'EOF'
return workflow {
  name = "swing", title = "Swing", roles = { "worker" }, initial = "left",
  states = { { "left" }, { "right" }, { "closed", final = true, outcome = "closed" } },
  transitions = {
    { "over", from = "left", to = "right", by = { "worker" } },
    { "back", from = "right", to = "left", by = { "worker" } },
    { "close", from = "right", to = "closed", by = { "worker" } },
  },
}
EOF
sed 's/title = "Swing"/title = "Swing, second edition"/' v1.lua >v2.lua

quiet "$K" init
quiet "$K" deploy v1.lua
for i in $(seq 1 "$N"); do echo '{"workflow": "swing", "data": {"n": {}}}'; done | quiet "$K" case import -
quiet "$K" deploy v2.lua
echo "print(kf.sql(\"SELECT count(*) AS n FROM cases\")[1].n)" >cases.lua
expect_eq "set-up: $N open cases on v1" "$N" "$("$K" script run cases.lua)"

# firer ID: fires over (or back) on cases of the last quarter at random until told to stop;
# every fire that worked is a line "CASE TRANSITION" in fires.ID (what the fires said on
# stderr in errors.ID); one fire in 40 closes the case instead.
firer() {
  local id=$1 c t
  RANDOM=$((id * 7919))
  : >"fires.$id"
  : >"errors.$id"
  while [ ! -e stop ]; do
    c=$((N - RANDOM % HOT))
    if [ $((RANDOM % 40)) -eq 0 ]; then t=close; else t=over; fi
    if "$K" case fire "$c" "$t" --as worker >/dev/null 2>>"errors.$id"; then echo "$c $t" >>"fires.$id"
    elif [ "$t" = over ] && "$K" case fire "$c" back --as worker >/dev/null 2>>"errors.$id"; then
      echo "$c back" >>"fires.$id"
    fi
  done
}
rm -f stop
firer 1 & f1=$!
firer 2 & f2=$!
firer 3 & f3=$!
sleep 1   # the firers are going before the run lists its cases
"$K" migrate run swing --to 2 --json >run.json 2>run.err
rc=$?
sleep 0.5 # and they go on a moment after it, on v2
touch stop
wait "$f1" "$f2" "$f3"
expect_eq "the run exits 0" 0 "$rc"

expect_eq "the fires refused only what their case's state refuses (no delivery waited out, no busy)" "" \
  "$(cat errors.1 errors.2 errors.3 | grep -v "cannot fire '[a-z]*': \(case is in '[a-z]*'\|the case is in final state '[a-z]*'\)" | sort | uniq -c | head -3)"
fires=$(cat fires.1 fires.2 fires.3 | wc -l)
[ "$fires" -ge 10 ] && t_ok "the firers fired ($fires fires)" || t_fail "firers" "only $fires fires"
cat >tally.lua <<'EOF'
local rows = kf.sql([[SELECT c.id AS id, d.version AS v, c.final AS final,
  (SELECT count(*) FROM events e WHERE e.case_id = c.id AND e.kind = 'case.migrated') AS mig,
  (SELECT count(*) FROM events e WHERE e.case_id = c.id AND e.kind = 'case.transition') AS tr
  FROM cases c JOIN definitions d ON d.id = c.workflow_id ORDER BY c.id]])
for _, r in ipairs(rows) do print(string.format("%d %d %d %d %d", r.id, r.v, r.final, r.mig, r.tr)) end
EOF
"$K" script run tally.lua >tally.txt
# each case: moved (on v2, one case.migrated, in the run's moved list), left (on v1, none,
# in its left list, with the reason's code), or closed before the run listed it (on v1,
# final, in neither); anything else is wrong. Fires per case from the logs beside its
# case.transition events.
"$PY" - "$T_DIR" <<'EOF' >verdict.txt
import json, sys
d = sys.argv[1]
run = json.load(open(d + "/run.json"))
moved = {m["case"] for m in run["moved"]}
left = {l["case"]: l["reasons"][0]["code"] for l in run["left"]}
fired, closes = {}, 0
for k in (1, 2, 3):
    for line in open("%s/fires.%d" % (d, k)):
        c, t = line.split()
        fired[int(c)] = fired.get(int(c), 0) + 1
        closes += t == "close"
bad, codes, before, finals, mismatch = [], set(), 0, 0, 0
for line in open(d + "/tally.txt"):
    cid, v, final, mig, tr = map(int, line.split())
    finals += final
    mismatch += fired.get(cid, 0) != tr
    if v == 2 and mig == 1 and cid in moved and cid not in left:
        continue
    if v == 1 and mig == 0 and cid in left and cid not in moved:
        codes.add(left[cid])
        continue
    if v == 1 and mig == 0 and final == 1 and cid not in left and cid not in moved:
        before += 1
        continue
    bad.append((cid, v, final, mig, cid in moved, left.get(cid)))
print(len(bad), len(moved), len(left), before, run["counts"]["cases"], mismatch, closes, finals,
      ",".join(sorted(codes)), bad[:3])
EOF
read -r nbad moved left before cases mismatch closes finals codes rest <"verdict.txt"
expect_eq "every case: migrated once and listed moved, untouched and listed left, or closed before the run" "0" "$nbad"
expect_eq "the run saw every case open when it began" "$N" "$((cases + before))"
expect_eq "moved + left = the run's cases" "$cases" "$((moved + left))"
[ "$left" -ge 1 ] && t_ok "the race happened: $left cases changed meanwhile and were left" || t_fail "race" "no case was left: the firers never raced the run"
[[ "$codes" == *"conflict"* ]] && t_ok "cases changed meanwhile are listed as such ($codes)" || t_fail "left codes" "$codes $rest"
transitions=$(awk '{s += $5} END {print s}' tally.txt)
expect_eq "nothing lost: every fire that worked is one case.transition event" "$fires" "$transitions"
expect_eq "... case by case" "0" "$mismatch"
expect_eq "every close that worked closed its case" "$closes" "$finals"
expect_out "audit verifies after the race" "chain intact" "$K" audit verify
expect_out "list: the migration done" "swing -> v2  done     $moved moved, $left left" "$K" migrate list
run "$K" migrate run swing --to 2
open_left=$(awk '$2 == 1 && $3 == 0' tally.txt | wc -l)
[[ "$OUT" == *"migration 2: $open_left case"*" moved to swing v2, 0 left"* ]] && t_ok "a second run moves the open cases left" || t_fail "second run" "$OUT"
expect_out "audit verifies after the second run" "chain intact" "$K" audit verify

t_done
