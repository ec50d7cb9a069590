#!/usr/bin/env bash
# tests/cli/import.sh: `kinflow case import FILE.jsonl`: 10,000 cases in batches with the
# chain intact, an imported case the same as one opened by hand (events, timers, data), every
# kind of bad line named FILE:LINE with nothing of its batch written, --from resuming,
# stdin, an empty file, a missing file, a line over 1 MB.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
at 2026-03-02T09:00:00Z

# A programme whose opening does everything opening can: an on_enter action that sets data,
# schedules a timer and records an event of its own, a review timer and an `after` timer in
# the initial state, a controlled key, a sensitive key, and an on_enter that can fail.
cat >intake.lua <<'EOF'
return workflow {
  name = "intake", roles = { "worker" }, initial = "referral",
  controlled = { "priority" },
  sensitive = { data = { "address" } },
  states = {
    { "referral", review = "14d" },
    { "lapsed", final = true, outcome = "lapsed" },
    { "done", final = true, outcome = "done" },
  },
  transitions = {
    { "lapse", from = "referral", to = "lapsed", after = "90d" },
    { "finish", from = "referral", to = "done", by = { "worker" } },
  },
  on_enter = {
    referral = function(case)
      if case.data.refuse then error("referral refused: " .. case.data.refuse) end
      case.data.received_on = kf.today()
      case:schedule("first_call", "2d")
      case:emit("intake.referred", { source = case.data.source or "unknown" })
    end,
  },
}
EOF
"$K" init >/dev/null
quiet "$K" deploy intake.lua

ncases() { "$K" case list --json --limit 100000 | py 'len(d)'; }
gen() {  # gen FROM TO [BAD_LINE BAD_TEXT]: lines FROM..TO of a file of intake cases
  "$PY" - "$@" <<'EOF'
import json, sys
lo, hi = int(sys.argv[1]), int(sys.argv[2])
bad = int(sys.argv[3]) if len(sys.argv) > 3 else 0
for i in range(lo, hi + 1):
    if i == bad: print(sys.argv[4]); continue
    print(json.dumps({"workflow": "intake", "ref": "C%d" % i,
                      "data": {"child": "child %d" % i, "source": "school", "address": "%d High St" % i}}))
EOF
}

# ---- 10,000 lines, in batches of 500, the chain intact ----
gen 1 10000 >big.jsonl
run "$K" case import big.jsonl
expect_eq "10,000 lines: exit 0" 0 "$RC"
expect_eq "10,000 lines: the summary" "imported 10000 cases in 20 batches" "$OUT"
expect_eq "10,000 lines: progress every 1,000 cases on stderr" \
  "kinflow: 1000 cases imported (to line 1000)|kinflow: 10000 cases imported (to line 10000)|10" \
  "$(echo "$ERR" | head -1)|$(echo "$ERR" | tail -1)|$(echo "$ERR" | wc -l)"
expect_eq "10,000 lines: 10,000 cases" 10000 "$(ncases)"
expect_out "10,000 lines: audit verify holds" "chain intact" "$K" audit verify
expect_eq "10,000 lines: line 7777 is case C7777 with its data" "C7777 child 7777 referral" \
  "$("$K" case show C7777 --json | py 'd["ref"], d["data"]["child"], d["state"]' | tr -d "(),'")"

# ---- imported = opened by hand: the same data, events and timers ----
gen 20001 20001 >one.jsonl
quiet "$K" case import one.jsonl
quiet "$K" case new intake --ref C20002 --data '{"child": "child 20001", "source": "school", "address": "20001 High St"}'
shape() {  # the case as stored, its timers and its history, with what must differ (ids, ref, seqs and so hashes) left out
  "$K" case show "$1" --json | py 'json.dumps(dict({k: v for k, v in d.items() if k not in ("id", "ref", "timers", "sharing")},
    timers=[{k: v for k, v in t.items() if k not in ("id", "case")} for t in d["timers"]],
    sharing=[{k: v for k, v in x.items() if k not in ("first_seq", "last_seq")} for x in d["sharing"]]), sort_keys=True)'
  "$K" case history "$1" --json | py 'json.dumps([{k: (v if k != "data" else {a: b for a, b in v.items() if a != "ref"}) for k, v in e.items() if k not in ("id", "seq", "case", "hash")} for e in d], sort_keys=True)'
}
A=$(shape C20001)
B=$(shape C20002)
expect_eq "an imported case is indistinguishable from one opened by hand" "$B" "$A"
expect_eq "the imported case's timers: review, after and the scheduled one" \
  "first_call lapse review" \
  "$("$K" case show C20001 --json | py '" ".join(sorted(t["name"] for t in d["timers"]))')"
expect_eq "the imported case's events: opened, then its own" "case.opened intake.referred" \
  "$("$K" case history C20001 --json | py '" ".join(e["kind"] for e in d)')"
expect_eq "the imported case's event keeps no sensitive value" "(private)" \
  "$("$K" case history C20001 --json | py 'd[0]["data"]["data"]["address"]')"

# ---- a bad line in the middle: named, its batch not written, --from resumes ----
t_fresh_db; "$K" init >/dev/null; quiet "$K" deploy intake.lua
gen 1 2000 1234 '{"workflow": "nope", "data": {}}' >mid.jsonl
run "$K" case import mid.jsonl
expect_eq "a bad line: exit 1" 1 "$RC"
expect_eq "a bad line: FILE:LINE and what is wrong, then where to resume" \
  "mid.jsonl:1234: no workflow 'nope' is deployed (see \`kinflow workflows\`)
kinflow: 1000 cases imported (lines 1-1000) in 2 batches; nothing of lines 1001-1234 was written: fix line 1234 and rerun with --from 1001" \
  "$(echo "$ERR" | grep -v 'cases imported (to line')"
expect_eq "a bad line: nothing of its batch written" "1000 no" \
  "$(ncases) $("$K" case show C1001 >/dev/null 2>&1 && echo yes || echo no)"
gen 1 2000 >fixed.jsonl
expect_out "--from resumes where the batch began" "imported 1000 cases in 2 batches" \
  "$K" case import fixed.jsonl --from 1001
expect_eq "--from: every line once" 2000 "$(ncases)"
expect_out "--from: audit verify holds" "chain intact" "$K" audit verify

# ---- every kind of bad line, each refused by name with nothing of its batch written ----
bad() {  # bad NAME LINE_TEXT MESSAGE [LINE]: a file of LINE_TEXT between two good lines, refused at LINE (2)
  local name=$1 text=$2 msg=$3 line=${4:-2} before
  before=$(ncases)
  { echo '{"workflow": "intake", "data": {"child": "first"}}'; echo "$text"
    echo '{"workflow": "intake"}'; } >bad.jsonl
  run "$K" case import bad.jsonl
  if [ "$RC" -ne 1 ]; then t_fail "$name" "exit $RC, not 1: $ERR"
  elif [ "$(echo "$ERR" | head -1)" != "bad.jsonl:$line: $msg" ]; then t_fail "$name" "stderr: $ERR"
  elif [ "$(ncases)" != "$before" ]; then t_fail "$name" "cases were written: $(ncases), not $before"
  else t_ok "$name"; fi
}
bad "malformed JSON" '{"workflow": "intake", "data": {' \
  "not valid JSON: string or '}' expected near end of file (at character 32)"
bad "an unknown key" '{"workflow": "intake", "dat": {}}' \
  "unknown key 'dat' (a case has workflow, data and ref)"
bad "no workflow" '{"data": {}}' "'workflow' must be a programme's name (a non-empty string)"
bad "an unknown workflow" '{"workflow": "intak"}' \
  "no workflow 'intak' is deployed (see \`kinflow workflows\`)"
bad "a ref already used" '{"workflow": "intake", "ref": "C5"}' "a case with ref 'C5' already exists"
bad "a ref used twice in the file" '{"workflow": "intake", "ref": "T1"}
{"workflow": "intake", "ref": "T1"}' "a case with ref 'T1' already exists" 3
bad "a controlled key" '{"workflow": "intake", "data": {"priority": 1}}' \
  "workflow 'intake': 'priority' is the programme's to set (its forms and actions), not by hand"
bad "data not an object" '{"workflow": "intake", "data": [1, 2]}' \
  "'data' must be a JSON object, e.g. {\"child\": \"Ava\"}"
bad "a line that is not an object" '["intake"]' \
  "a case must be a JSON object {\"workflow\": ..., \"data\": {...}}"
bad "a ref that is not text" '{"workflow": "intake", "ref": 7}' "'ref' must be a string"
bad "a Lua error in open" '{"workflow": "intake", "data": {"refuse": "no consent"}}' \
  "intake.lua:16: referral refused: no consent"

# ---- a batch boundary: a bad line at the start of the second batch keeps the first ----
before=$(ncases)
{ gen 30001 30003; echo '{"workflow": "intake", "ref": "C30001"}'; } >edge.jsonl
run "$K" case import edge.jsonl --batch 3
expect_eq "--batch 3, bad line 4: the first batch stays" \
  "1|kinflow: 3 cases imported (lines 1-3) in 1 batch; nothing of lines 4-4 was written: fix line 4 and rerun with --from 4|$((before + 3))" \
  "$RC|$(echo "$ERR" | tail -1)|$(ncases)"

# ---- stdin, blank lines, an empty file, a missing file, a line over 1 MB, usage ----
before=$(ncases)
{ gen 40001 40002; echo; echo '   '; gen 40003 40003; } >stdin.jsonl
run "$K" case import - <stdin.jsonl
expect_eq "stdin, blank lines skipped" "0|imported 3 cases in 1 batch|$((before + 3))" \
  "$RC|$OUT|$(ncases)"
run "$K" case import - <<<'{"workflow": "intake", "extra": 1}'
expect_eq "stdin: a bad line is named stdin:LINE" "stdin:1: unknown key 'extra' (a case has workflow, data and ref)" \
  "$(echo "$ERR" | head -1)"
: >empty.jsonl
expect_out "an empty file" "imported 0 cases in 0 batches" "$K" case import empty.jsonl
run "$K" case import empty.jsonl --json
expect_eq "--json: the summary as JSON" '0 0' "$(echo "$OUT" | py '"%d %d" % (d["imported"], d["batches"])')"
expect_refused "a file that does not exist" 1 \
  "kinflow: cannot read nosuch.jsonl: No such file or directory" "$K" case import nosuch.jsonl
before=$(ncases)
{ gen 50001 50001; "$PY" -c 'print("{\"workflow\": \"intake\", \"data\": {\"note\": \"" + "x" * 1048576 + "\"}}")'; } >long.jsonl
run "$K" case import long.jsonl
expect_eq "a line over 1 MB is refused by name, nothing of its batch written" \
  "1|long.jsonl:2: the line is longer than 1 MB (a case's line holds at most 1048576 bytes)|$before" \
  "$RC|$(echo "$ERR" | head -1)|$(ncases)"
expect_refused "--batch 0 is usage" 2 "--batch needs a whole number from 1 to 100000" \
  "$K" case import big.jsonl --batch 0
expect_refused "--from 0 is usage" 2 "--from needs a whole number" "$K" case import big.jsonl --from 0
expect_refused "no file is usage" 2 "case import needs a file" "$K" case import
expect_out "audit verify holds after every refusal" "chain intact" "$K" audit verify

# ---- plugins' hooks hear every committed case's events, and nothing of a batch refused ----
export KINFLOW_PLUGIN_PATH=$ROOT/tests/plugins ABI_TEST_LOG=$T_DIR/abi.log
: >abi.log
{ gen 60001 60005; echo '{"workflow": "intake", "ref": "C60001"}'; } >hooks.jsonl
run "$K" case import hooks.jsonl --batch 2
expect_eq "hooks: the committed batches' case events (the plugin asks for case.*), none of the refused one's" \
  "1|4 case.opened" "$RC|$(grep -c '^hook case.opened ' abi.log) case.opened"
unset KINFLOW_PLUGIN_PATH ABI_TEST_LOG

t_done
