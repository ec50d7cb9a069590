#!/usr/bin/env bash
# Bad input at every door of the CLI: JSON nested deeper than the engine allows is refused
# with one line naming the limit (exit 1), whatever verb it comes through, and nothing of it
# is stored; the case still answers afterwards.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR"
$K init >/dev/null
cat > wf.lua <<'W'
return workflow {
  name = "doors", roles = { "worker" }, initial = "open",
  states = { { "open" }, { "done", final = true } },
  transitions = { { "close", from = "open", to = "done", by = { "worker" } } },
  forms = { form { name = "note", fields = { { "text", type = "text" }, { "extra", type = "list", of = "text" } } } },
}
W
$K deploy wf.lua >/dev/null
$K case new doors --data '{"a": 1}' >/dev/null
deep() { python3 -c "import sys; n=int(sys.argv[1]); print('{\"k\": ' * n + '1' + '}' * n)" "$1"; }
D40=$(deep 40)
D32=$(deep 32)
events() { t_sql "SELECT count(*) FROM events"; }
before=$(events)
expect_refused "case new refuses too-deep data" 1 "the case's data is nested more than 32 levels deep; at most 32 are allowed" $K case new doors --data "$D40"
expect_refused "case set refuses too-deep data" 1 "the case's data is nested more than 32 levels deep" $K case set 1 --data "$D40"
expect_refused "member add refuses too-deep data" 1 "the member's data is nested more than 32 levels deep" $K case member add 1 --role child --name Ava --data "$D40"
expect_refused "form submit refuses a too-deep entry" 1 "the form's entry is nested more than 32 levels deep" $K form submit 1 note --data "{\"text\": $D40}"
expect_eq "nothing was stored by the refused requests" "$before" "$(events)"
expect_ok "data at the limit is accepted" $K case set 1 --data "$D32"
run $K case moves 1 --as worker
expect_eq "moves still answer on the case" 0 "$RC"
expect_ok "and the case still moves" $K case fire 1 close --as worker
expect_ok "the audit chain holds" $K audit verify

# `kinflow test --json` gives the results as data (it used to ignore --json).
cp wf.lua doors.lua
cat > doors.test.lua <<'W'
return scenarios "doors" {
  { "closes", steps = { { fire = "close", as = "worker" }, { expect = { state = "done" } } } },
  { "cannot close twice", steps = { { fire = "close", as = "worker" }, { expect = { state = "open" } } } },
}
W
run $K test doors.test.lua --json
expect_eq "test --json exits 1 when a scenario fails" 1 "$RC"
echo "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["passed"] == 1 and d["failed"] == 1, d
ok, bad = d["scenarios"]
assert ok["ok"] and ok["scenario"] == "closes" and ok["file"] == "doors.test.lua", ok
assert not bad["ok"] and bad["line"] == 3 and "expected state" in bad["message"], bad' \
  && t_ok "test --json: each scenario with file, line, result and message" || t_fail "test --json" "$OUT $ERR"
t_done
