#!/usr/bin/env bash
# tests/cli/family.sh: family accounts and shared decisions through the real binary:
# `kinflow user add --family` and its refusals (one line each), `kinflow decision record|list`,
# a move that needs a shared decision, `kinflow check` refusing bad family_roles, decision,
# family and by at their lines, and a scenario's decision step. What a family account may
# do through the verbs is tests/unit/test_family.c's. Ends with "N passed, N failed".
source "$(dirname "$0")/../lib.sh"
HERE=$ROOT/tests/cli/family
cd "$T_DIR" || exit 1
at 2026-03-02T09:00:00Z

quiet "$K" init
quiet "$K" deploy "$HERE/safe_home.lua"
quiet "$K" case new safe_home --ref SH-1
quiet "$K" case new safe_home --ref SH-2
quiet "$K" case member add SH-1 --role parent --name "Robin Testwood" --data '{"address": "12 Hidden Lane"}'
quiet "$K" case member add SH-1 --role carer --name "Casey Carer"
quiet "$K" case member add SH-1 --role caseworker --name "Wendy Worker"
quiet "$K" case member add SH-2 --role parent --name "Kim Else"

# ---- family accounts ----
add() { echo "${PW:-river-lantern-43}" | "$K" user add "$@" --password-stdin; }
run add robin --family SH-1 --member 3
expect_eq "a member without a family role is refused, naming the roles" \
  "1|kinflow: user add: member 3 (Wendy Worker) is a 'caseworker', which is not a family role of programme 'safe_home' (family roles: parent, carer)" \
  "$RC|$ERR"
run add robin --family SH-1 --member 4
expect_eq "a member of another case is refused" "1|kinflow: user add: member 4 is not on case 1" "$RC|$ERR"
run add robin --family SH-9 --member 1
expect_eq "an unknown case is refused" "1|kinflow: user add: no case SH-9" "$RC|$ERR"
PW=robin-testwood-99 run add robin --family SH-1 --member 1
expect_eq "a weak password is refused" \
  "1|kinflow: user add: the password contains the login: choose one that does not" "$RC|$ERR"
run add robin --family SH-1 --member x
expect_eq "--member takes a number" "2" "$RC"
run add robin --family SH-1 --member 1 --role caseworker
expect_eq "a family account takes no --role" "2" "$RC"
run add robin --family SH-1 --member 1
expect_eq "Robin's own sign-in" "0|user robin added (family account of Robin Testwood, parent on case 1)" "$RC|$OUT"
run add robin2 --family SH-1 --member 1
expect_eq "one account per member" \
  "1|kinflow: user add: member 1 (Robin Testwood) already has a family account, 'robin'" "$RC|$ERR"
run add casey --family SH-1 --member 2 --json
expect_eq "the carer's account, as JSON" "0|carer|2" \
  "$RC|$(echo "$OUT" | py 'd["family"]["role"]')|$(echo "$OUT" | py 'd["family"]["member"]')"
run "$K" user list
expect_eq "user list says whose family account it is" "1" \
  "$(echo "$OUT" | grep -c '^robin .* family .*parent, member 1 of case 1 ')"
run "$K" case allocate SH-1 --to robin --reason "typo in the login"
expect_eq "a case is never allocated to a family account" \
  "1|kinflow: case 1: 'robin' is a family account: a case is allocated to a worker" "$RC|$ERR"
run "$K" audit verify
expect_eq "the log holds" "0" "$RC"
if "$K" case history SH-1 --json | grep -q "river-lantern"; then t_fail "no password in the log" "found"
else t_ok "no password in the log"; fi

# ---- staff and family roles: the database's owner may record a paper signature ----
expect_ok "the owner (CLI) may fire as the parent, for paper records" "$K" case fire SH-1 sign_plan --as parent

# ---- shared decisions ----
expect_refused "a move that needs a shared decision is refused, naming it" 1 \
  "kinflow: case 1: cannot fire 'prepare_move': no shared decision has been recorded for 'prepare_move' since the case entered 'together' (who took part, their views, whether the family agreed)" \
  "$K" case fire SH-1 prepare_move --as caseworker
LEFT=$("$K" case member add SH-1 --role carer --name "Casey Former" | sed -n 's/.*member \([0-9]*\) added.*/\1/p')
quiet "$K" case member end SH-1 "$LEFT" --reason "the placement ended" --on 2026-03-02
run "$K" decision record SH-1 --for prepare_move --decided "Move on in June" --family-agreed yes --member "$LEFT"="fine"
expect_eq "a member who left takes no part in a shared decision" \
  "1|kinflow: decision record: member $LEFT (Casey Former) left the case on 2026-03-02: a shared decision is made with the people on it now" \
  "$RC|$ERR"
run "$K" decision record SH-1 --for prepare_move --decided "Move on in June" --family-agreed yes --member 3="fine"
expect_eq "a decision without a family member is refused" \
  "1|kinflow: decision record: a shared decision needs at least one family member taking part (a member of the case holding a family role: parent, carer)" \
  "$RC|$ERR"
run "$K" decision record SH-1 --for nope --decided "x" --family-agreed yes --member 1
expect_eq "a decision for an unknown move is refused" \
  "1|kinflow: decision record: 'nope' is not a transition of programme 'safe_home' (a shared decision is for one of its moves, or for none)" \
  "$RC|$ERR"
run "$K" decision record SH-1 --for prepare_move --decided "x" --family-agreed maybe --member 1
expect_eq "--family-agreed is yes or no" "2" "$RC"
run "$K" decision record SH-1 --decided "x" --family-agreed yes --member 1 --staff nobody
expect_eq "staff take part by login" "1|kinflow: decision record: no user 'nobody' (staff take part by login)" "$RC|$ERR"
run "$K" decision record SH-1 --for prepare_move --decided "Move on in June" --family-agreed yes \
  --member 1="I am ready" --member 2="I will help" --json
DEC=$(echo "$OUT" | py 'd["id"]')
expect_eq "a shared decision with each member's view" "0|2|I am ready" \
  "$RC|$(echo "$OUT" | py 'len(d["participants"])')|$(echo "$OUT" | py 'd["participants"][0]["view"]')"
expect_ok "the move fires once the decision is recorded" "$K" case fire SH-1 prepare_move --as caseworker
expect_eq "the move's event carries the decision" "$DEC" \
  "$("$K" case history SH-1 --json | py '[e for e in d if e["kind"] == "case.transition"][-1]["data"]["decision"]')"
expect_out "decision list" "Robin Testwood (parent): I am ready" "$K" decision list SH-1
quiet "$K" decision record SH-1 --for close --decided "Close in July" --family-agreed no --member 1="not yet"
expect_refused "a guard reads the decision (case:decision)" 1 "the family did not agree: Close in July" \
  "$K" case fire SH-1 close --as caseworker
expect_out "no decisions yet" "no shared decisions on case SH-2" "$K" decision list SH-2

# ---- kinflow check: family_roles, decision, family and by ----
wf() {
  cat >"$1" <<EOF
return workflow {
  name = "mini", roles = { "worker", "parent" }, initial = "open",${2:-}
  states = { { "open" }, { "done", final = true } },
  transitions = { { "finish", from = "open", to = "done", by = { "worker" }${3:-} } },
  forms = {
    form { name = "book", fields = { { "note" } }${4:-} },
  },
}
EOF
}
expect_check() {
  local name=$1 file=$2 want=$3
  run "$K" check "$file"
  expect_eq "$name" "1|$want" "$RC|$ERR"
}
wf bad1.lua $'\n  family_roles = "parent",'
expect_check "family_roles must be a list" bad1.lua \
  'bad1.lua:3: family_roles must be a list of role names (text), not a string: family_roles = { "parent", "carer" }'
wf bad2.lua $'\n  family_roles = { "parent", 7 },'
expect_check "family_roles holds role names" bad2.lua \
  'bad2.lua:3: family_roles: item 2 is a number, not a role name (letters, digits and _): family_roles = { "parent", "carer" }'
wf bad3.lua "" ', decision = "yes"'
expect_check "decision is a boolean" bad3.lua \
  "bad3.lua:4: transition 'finish': decision must be true or false (true: it needs a shared decision recorded for it)"
wf bad4.lua "" "" ', family = "yes"'
expect_check "a form's family is true or \"read\"" bad4.lua \
  "bad4.lua:6: form 'book': family must be true (family accounts fill it and see its entries) or \"read\" (they see its entries, staff fill it), not 'yes'"
wf bad5.lua "" "" ', family = "read", by = { "parent" }'
expect_check "by only with family = true" bad5.lua \
  "bad5.lua:6: form 'book': by names the family roles that fill a family form: give it only with family = true"
wf bad6.lua $'\n  family_roles = { "parent" },' "" ', family = true, by = { "carer" }'
expect_check "by names family roles of the programme" bad6.lua \
  "bad6.lua:7: form 'book': by names 'carer', which is not a family role of the programme (family roles: parent)"
cat >bad7.lua <<'EOF'
return form {
  name = "feedback", family = true, by = "parent",
  fields = { { "note" } },
}
EOF
expect_check "a form file's by is a list" bad7.lua \
  "bad7.lua:1: form 'feedback': by must be a list of role names (text), not a string: by = { \"parent\", \"carer\" }"
wf good.lua $'\n  family_roles = { "parent" },' ', decision = true' ', family = true, by = { "parent" }'
expect_ok "family_roles, decision, family and by as they should be" "$K" check good.lua

# ---- a scenario's decision step ----
cp "$HERE/safe_home.lua" .
cat >safe_home.test.lua <<'EOF'
return scenarios "safe_home" {
  { "moving on needs a shared decision",
    steps = {
      { member = "parent", name = "Robin Testwood" },
      { fire = "sign_plan", as = "parent" },
      { fire = "prepare_move", as = "caseworker", refused = "no shared decision has been recorded for 'prepare_move'" },
      { decision = "prepare_move", decided = "Move on in June", family_agreed = true,
        members = { "Robin Testwood" } },
      { fire = "prepare_move", as = "caseworker" },
      { expect = { state = "moving_on" } },
    } },
  { "a decision names members on the case",
    steps = {
      { decision = "prepare_move", decided = "x", family_agreed = false, members = { "Nobody" },
        refused = "no member named 'Nobody' on the case" },
    } },
}
EOF
expect_out "a scenario records a shared decision" "2 passed, 0 failed" "$K" test safe_home.test.lua
cat >bad.test.lua <<'EOF'
return scenarios "safe_home" {
  { "a decision step without its members",
    steps = { { decision = "prepare_move", decided = "x", family_agreed = true } } },
}
EOF
run "$K" check bad.test.lua
expect_eq "a decision step needs its members" \
  "1|bad.test.lua:2: scenario 'a decision step without its members' step 1: decision 'prepare_move' needs members = { \"a member's name\", ... } (who took part)" \
  "$RC|$ERR"

t_done
