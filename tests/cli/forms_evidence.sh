#!/usr/bin/env bash
# tests/cli/forms_evidence.sh: evidence a form entry can be trusted with, through the real
# binary: dates that happened are not after today (future = true for a planned date),
# attested fields given only in their roles (--as ROLE; the entry's role seen by a rule), and
# member fields naming current members of the right role; `kinflow check` refuses each
# misuse at its line.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
$K init >/dev/null
at 2026-06-01T09:00:00Z

# ---- kinflow check: future, by and roles written wrongly, each at its line -------------
cat > bad_form.lua <<'F'
return form { name = "bad_form",
  fields = {
    { "met_on", type = "date", future = "yes" },
    { "notes", type = "text", future = true },
    { "endorsed", type = "boolean", by = "acco_worker" },
    { "who", type = "member", roles = { "parent", 3 } },
    { "label", type = "text", roles = { "parent" } },
    { "seen_on", type = "list", of = "date", future = true },
    { "present", type = "list", of = "member", roles = { "carer" } },
  } }
F
run $K check bad_form.lua
expect_eq "check refuses the bad form" 1 "$RC"
[[ "$OUT$ERR" == *"bad_form.lua:3: form 'bad_form' field 'met_on': future must be true (a planned date) or false, not 'yes'"* ]] \
  && t_ok "future that is not a boolean, at its line" || t_fail "future not boolean" "$OUT $ERR"
[[ "$OUT$ERR" == *"bad_form.lua:4: form 'bad_form' field 'notes': future is for a date field"* ]] \
  && t_ok "future on a text field, at its line" || t_fail "future on text" "$OUT $ERR"
[[ "$OUT$ERR" == *"bad_form.lua:5: form 'bad_form' field 'endorsed': by must be a list of role names (text), not a string"* ]] \
  && t_ok "by that is not a list of roles, at its line" || t_fail "by not list" "$OUT $ERR"
[[ "$OUT$ERR" == *"bad_form.lua:6: form 'bad_form' field 'who': roles: item 2 is a number, not a role name"* ]] \
  && t_ok "roles with a number in it, at its line" || t_fail "roles item" "$OUT $ERR"
[[ "$OUT$ERR" == *"bad_form.lua:7: form 'bad_form' field 'label': roles is for a member field"* ]] \
  && t_ok "roles on a text field, at its line" || t_fail "roles on text" "$OUT $ERR"
[[ "$OUT$ERR" != *"bad_form.lua:8:"* && "$OUT$ERR" != *"bad_form.lua:9:"* ]] \
  && t_ok "future on a list of date and roles on a list of member are fine" || t_fail "list keys" "$OUT $ERR"

# ---- a programme with dated, attested and member fields -------------------------------
mkdir -p plugs/evidence/forms
cat > plugs/evidence/plugin.lua <<'P'
return plugin { name = "evidence", version = "1.0", description = "forms for evidence tests" }
P
cat > plugs/evidence/forms/meeting.lua <<'F'
return form { name = "meeting", title = "Safety network meeting",
  fields = {
    { "met_on", type = "date", required = true },
    { "next_meeting", type = "date", future = true },
    { "attendees", type = "list", of = "member" },
    { "agreed_by", type = "member", roles = { "parent", "carer" } },
    { "acco_endorsed", type = "boolean", by = { "acco_worker" } },
    { "stays_on", type = "list", of = "date" },
  } }
F
export KINFLOW_PLUGIN_PATH=$T_DIR/plugs
expect_out "check accepts the well-formed form" "" $K check plugs/evidence/forms/meeting.lua
cat > evidence.lua <<'W'
return workflow {
  name = "evidence", roles = { "caseworker", "acco_worker", "parent", "carer" }, initial = "open",
  states = { { "open", forms = { "meeting" } }, { "endorsed" }, { "closed", final = true } },
  transitions = {
    { "endorse", from = "open", to = "endorsed", by = { "caseworker" },
      when = { function(case)
        for _, e in ipairs(case:entries("meeting")) do
          if e.data.acco_endorsed and e.role == "acco_worker" then return true end
        end
        return false, "no meeting entry endorsed by an acco_worker"
      end,
      function(case)
        local last = case:latest("meeting")
        local m = last and last.agreed_by and case:member(last.agreed_by)
        if m and m.role == "parent" then return true end
        return false, "the agreement is not a parent's (" .. (m and m.name or "nobody") .. ")"
      end } },
    { "close", from = "*", to = "closed", by = { "caseworker" } },
  },
}
W
expect_ok "the programme deploys" $K deploy evidence.lua
quiet $K case new evidence
quiet $K case member add 1 --role parent --name "Pat Parent"
quiet $K case member add 1 --role caseworker --name "Wes Worker"
quiet $K case member add 1 --role carer --name "Cat Carer"
quiet $K case new evidence
quiet $K case member add 2 --role parent --name "Other Parent"

# ---- 1. dates that happened are not after today --------------------------------------
expect_refused "a meeting dated after today is refused" 1 \
  "form 'meeting' refused: met_on: 2028-01-01 is after today; only a planned date can be (future = true)" \
  $K form submit 1 meeting --data '{"met_on":"2028-01-01"}'
expect_refused "a stay in a list of dates after today is refused at its item" 1 \
  "stays_on: item 2: 2026-06-02 is after today; only a planned date can be (future = true)" \
  $K form submit 1 meeting --data '{"met_on":"2026-05-30","stays_on":["2026-05-01","2026-06-02"]}'
expect_ok "today itself is not in the future" $K form submit 1 meeting --data '{"met_on":"2026-06-01"}'
expect_ok "a planned date may be after today (future = true)" \
  $K form submit 1 meeting --data '{"met_on":"2026-05-30","next_meeting":"2028-01-01"}'
at 2028-01-02T09:00:00Z
expect_ok "the engine's clock decides what today is" $K form submit 1 meeting --data '{"met_on":"2028-01-01"}'
at 2026-06-01T09:00:00Z

# ---- 2. attested fields --------------------------------------------------------------
expect_refused "an endorsement without a role is refused, naming the field" 1 \
  "acco_endorsed: only acco_worker can give this (submit as one of: acco_worker)" \
  $K form submit 1 meeting --data '{"met_on":"2026-05-30","acco_endorsed":true}'
expect_refused "an endorsement given as a caseworker is refused" 1 \
  "form 'meeting' refused: acco_endorsed: only acco_worker can give this (submit as one of: acco_worker)" \
  $K form submit 1 meeting --as caseworker --data '{"met_on":"2026-05-30","acco_endorsed":true}'
expect_refused "a role the programme does not have is refused" 1 \
  "unknown role 'elder' in workflow 'evidence' (roles: caseworker, acco_worker, parent, carer)" \
  $K form submit 1 meeting --as elder --data '{"met_on":"2026-05-30"}'
expect_ok "false needs no attestation" $K form submit 1 meeting --data '{"met_on":"2026-05-30","acco_endorsed":false}'
expect_refused "the rule sees no endorsement yet" 1 "no meeting entry endorsed by an acco_worker" \
  $K case fire 1 endorse --as caseworker
expect_ok "an endorsement given as acco_worker is accepted" \
  $K form submit 1 meeting --as acco_worker --data '{"met_on":"2026-05-30","acco_endorsed":true}'
run $K case history 1 --json
echo "$OUT" | py '[e.get("role") for e in d if e["kind"] == "form.submitted"][-1]' > got.txt
expect_eq "the form.submitted event carries the role" "acco_worker" "$(cat got.txt)"
expect_eq "the entry stores its role" "acco_worker" \
  "$(t_sql "SELECT role FROM entries WHERE case_id=1 ORDER BY id DESC LIMIT 1")"
expect_eq "an entry given in no role stores none" "" \
  "$(t_sql "SELECT coalesce(role,'') FROM entries WHERE case_id=1 AND id=(SELECT min(id) FROM entries)")"

# ---- 3. member fields ----------------------------------------------------------------
expect_refused "a member number not on the case is refused" 1 "attendees: member 9 is not on the case" \
  $K form submit 1 meeting --data '{"met_on":"2026-05-30","attendees":[1,9]}'
expect_refused "another case's member is not on this case" 1 "agreed_by: member 4 is not on the case" \
  $K form submit 1 meeting --data '{"met_on":"2026-05-30","agreed_by":4}'
expect_refused "a member of the wrong role is refused" 1 \
  "agreed_by: member 2 (Wes Worker) is a caseworker, not one of: parent, carer" \
  $K form submit 1 meeting --data '{"met_on":"2026-05-30","agreed_by":2}'
expect_refused "a member field takes a number, not a name" 1 "agreed_by: not a member number of the case" \
  $K form submit 1 meeting --data '{"met_on":"2026-05-30","agreed_by":"Pat Parent"}'
expect_refused "a list of members names a wrong item by place" 1 "attendees: item 2: not a member number of the case" \
  $K form submit 1 meeting --data '{"met_on":"2026-05-30","attendees":[1,"x"]}'
expect_refused "a list of members lists each once" 1 "attendees: member 1 is listed twice" \
  $K form submit 1 meeting --data '{"met_on":"2026-05-30","attendees":[1,3,1]}'
expect_ok "a carer may agree" $K form submit 1 meeting --data '{"met_on":"2026-05-30","agreed_by":3,"attendees":[1,2,3]}'
expect_refused "the rule reads the member through case:member" 1 "the agreement is not a parent's (Cat Carer)" \
  $K case fire 1 endorse --as caseworker
expect_ok "a parent agrees" $K form submit 1 meeting --data '{"met_on":"2026-05-31","agreed_by":1,"attendees":[1,3]}'
expect_ok "with the endorsement and a parent's agreement the move fires" $K case fire 1 endorse --as caseworker

# An ended member (the records helper's `case member end` sets ended_at) is refused.
t_sql "UPDATE members SET ended_at='2026-05-15T00:00:00Z', ended_reason='moved' WHERE id=4"
expect_refused "a member who has left the case is refused" 1 \
  "agreed_by: member 4 (Other Parent) left the case on 2026-05-15" \
  $K form submit 2 meeting --data '{"met_on":"2026-05-30","agreed_by":4}'

# case:member(id) from a rule: every field, nil for no such member.
cat > probe.lua <<'W'
return workflow {
  name = "probe", roles = { "worker" }, initial = "open",
  states = { { "open" }, { "closed", final = true } },
  transitions = {
    { "close", from = "open", to = "closed", by = { "worker" },
      when = { function(case)
        local m, none = case:member(5), case:member(1)
        return false, string.format("%s|%s|%s|%s|%s|%s", tostring(m.id), m.role, m.name, tostring(m.data.dob),
          tostring(m.ended_at), tostring(none))
      end } },
  },
}
W
quiet $K deploy probe.lua
quiet $K case new probe
quiet $K case member add 3 --role parent --name "Pia Probe" --data '{"dob":"1990-01-02"}'
expect_refused "case:member(id) gives id, role, name, data, ended_at; nil for another case's member" 1 \
  "5|parent|Pia Probe|1990-01-02|nil|nil" $K case fire 3 close --as worker

t_done
