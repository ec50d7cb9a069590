#!/usr/bin/env bash
# tests/cli/check.sh: `kinflow check` on good files (exit 0) and broken ones (exit 1 with
# FILE:LINE: message on stderr, the line being that of the offending state or transition).
# Each broken file marks its offending line with a `--@` comment; `marked FILE` finds it.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1

# marked FILE: the line number of the line marked --@
marked() { grep -n -- '--@' "$1" | head -1 | cut -d: -f1; }

# expect_check NAME FILE LINE...: exit 1 and stderr is exactly these lines.
expect_check() {
  local name=$1 file=$2; shift 2
  run "$K" check "$file"
  local want; want=$(printf '%s\n' "$@")
  if [ "$RC" -ne 1 ]; then t_fail "$name" "expected exit 1, got $RC (stderr: $ERR)"
  elif [ "$ERR" != "$want" ]; then t_fail "$name" "expected stderr:
$want
got:
$ERR"
  else t_ok "$name"; fi
}

# wf FILE EXTRA_STATES EXTRA_TRANSITIONS [TOP_FIELDS]: a small valid workflow, plus extras.
# Line 1 is `return workflow {`; states start on line 6, transitions on line 12.
wf() {
  cat >"$1" <<EOF
return workflow {
  name = "mini",
  title = "Mini",
  roles = { "worker", "boss" },
  initial = "open",${4:-}
  states = {
    { "open", title = "Open" },
    { "working", title = "Working", review = "7d" },
    { "done", title = "Done", final = true, outcome = "done" },$2
  },
  transitions = {
    { "start", from = "open", to = "working", by = { "worker" } },
    { "finish", from = "working", to = "done", by = { "worker" } },
    { "close", from = "*", to = "done", by = { "boss" }, reason = true },$3
  },
}
EOF
}

# ---- good files -------------------------------------------------------------------

wf good.lua "" ""
run "$K" check good.lua
expect_eq "good workflow: exit 0" 0 "$RC"
expect_eq "good workflow: says ok" "good.lua: ok (workflow mini)" "$OUT"
expect_eq "good workflow: nothing on stderr" "" "$ERR"

cat >guarded.lua <<'EOF'
return workflow {
  name = "guarded",
  roles = { "worker" },
  initial = "a",
  states = { { "a", forms = { "visit" } }, { "b", final = true } },
  transitions = {
    { "go", from = { "a" }, to = "b", by = { "worker" }, requires = { "visit" },
      when = { "visit_done", function(case) return case.data.ok == true, "not ok yet" end } },
    { "lapse", from = "a", to = "b", after = "90d" },
  },
  on_enter = { b = function(case) case.data.closed_on = kf.today() end },
}
EOF
cat >visit_done.lua <<'EOF'
return rule { name = "visit_done", description = "a visit happened",
              check = function(case) return case:latest("visit") ~= nil, "no visit yet" end }
EOF
cat >visit.lua <<'EOF'
return form { name = "visit", title = "Visit",
  fields = { { "visit_date", type = "date", required = true },
             { "mood", type = "choice", choices = { "settled", "unsettled" } },
             { "present", type = "list", of = "text" },
             { "score", type = "number", min = 0, max = 10 },
             { "address", type = "text", sensitive = true } } }
EOF
run "$K" check guarded.lua visit_done.lua visit.lua
expect_eq "workflow + rule + form in one check: exit 0" 0 "$RC"
expect_eq "workflow + rule + form: nothing on stderr" "" "$ERR"
expect_out "each file reported ok" "visit.lua: ok (form visit)" "$K" check guarded.lua visit_done.lua visit.lua
expect_out "rule file ok" "visit_done.lua: ok (rule visit_done)" "$K" check visit_done.lua

run "$K" check --json good.lua
if [ "$RC" -eq 0 ] && echo "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["files"][0]["kind"] == "workflow"' 2>/dev/null
then t_ok "check --json parses"; else t_fail "check --json parses" "exit $RC: $OUT"; fi
got=$(echo "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(type(d.get("messages")).__name__)' 2>&1)
expect_eq "check --json: messages of a good file is an empty list, not an object" "list" "$got"

# ---- broken workflows: each names its file and the offending line ---------------------

wf to.lua "" '
    { "jump", from = "open", to = "finished", by = { "worker" } }, --@'
expect_check "unknown state in to" to.lua "to.lua:$(marked to.lua): transition 'jump' names unknown state 'finished'"

wf from.lua "" '
    { "jump", from = "opne", to = "done", by = { "worker" } }, --@'
expect_check "unknown state in from" from.lua "from.lua:$(marked from.lua): transition 'jump' names unknown state 'opne' in from"

wf from_list.lua "" '
    { "jump", from = { "open", "wroking" }, to = "done", by = { "worker" } }, --@'
expect_check "unknown state in a from list" from_list.lua "from_list.lua:$(marked from_list.lua): transition 'jump' names unknown state 'wroking' in from"

wf by.lua "" '
    { "jump", from = "open", to = "done", by = { "worker", "chief" } }, --@'
expect_check "unknown role in by" by.lua "by.lua:$(marked by.lua): transition 'jump' names unknown role 'chief' in by (roles: worker, boss)"

wf dupstate.lua '
    { "working", title = "Working again" }, --@' ""
expect_check "duplicate state: reported on the duplicate's line" dupstate.lua "dupstate.lua:$(marked dupstate.lua): duplicate state 'working'"

wf duptr.lua "" '
    { "start", from = "working", to = "done", by = { "boss" } }, --@'
expect_check "duplicate transition: reported on the duplicate's line" duptr.lua "duptr.lua:$(marked duptr.lua): duplicate transition 'start'"

sed 's/roles = { "worker", "boss" },/roles = { "worker", "boss", "worker" }, --@/' good.lua >duprole.lua
expect_check "duplicate role" duprole.lua "duprole.lua:$(marked duprole.lua): duplicate role 'worker'"

grep -v 'initial = ' good.lua >noinit.lua
expect_check "no initial state: reported at the workflow" noinit.lua "noinit.lua:1: workflow mini has no initial state (initial = \"...\")"

sed 's/initial = "open",/initial = "opening", --@/' good.lua >badinit.lua
expect_check "unknown initial state: reported at the workflow" badinit.lua \
  "badinit.lua:1: initial state 'opening' is not one of the states"

wf unreachable.lua '
    { "limbo", title = "Nobody comes here" }, --@' '
    { "leave", from = "limbo", to = "done", by = { "boss" } },'
expect_check "unreachable state" unreachable.lua "unreachable.lua:$(marked unreachable.lua): state 'limbo' is unreachable from initial state 'open'"

sed -e 's/{ "close", from = "\*", to = "done", by = { "boss" }, reason = true },//' \
    -e 's/{ "finish", from = "working", to = "done", by = { "worker" } },/{ "finish", from = "open", to = "done", by = { "worker" } },/' \
    -e 's/{ "working", title = "Working", review = "7d" },/{ "working", title = "Working", review = "7d" }, --@/' good.lua >stuck.lua
expect_check "non-final state with no way out" stuck.lua "stuck.lua:$(marked stuck.lua): state 'working' is not final and has no way out (add a transition from it, or final = true)"

wf fromfinal.lua "" '
    { "reopen", from = "done", to = "open", by = { "boss" } }, --@'
expect_check "transition out of a final state" fromfinal.lua "fromfinal.lua:$(marked fromfinal.lua): transition 'reopen' leaves final state 'done' (nothing leaves a final state)"

wf nofinal.lua "" ""
sed -i 's/{ "done", title = "Done", final = true, outcome = "done" },/{ "done", title = "Done" },/; s/{ "close", from = "\*", to = "done", by = { "boss" }, reason = true },/{ "close", from = "*", to = "done", by = { "boss" }, reason = true },\n    { "reopen", from = "done", to = "open", by = { "boss" } },/' nofinal.lua
expect_check "no final state at all: reported at the workflow" nofinal.lua "nofinal.lua:1: workflow mini has no final state"

wf guardnum.lua "" '
    { "jump", from = "open", to = "done", by = { "boss" }, when = { 42 } }, --@'
expect_check "guard that is a number" guardnum.lua "guardnum.lua:$(marked guardnum.lua): transition 'jump': guard 1 is a number, neither a rule name nor a function"

wf guardname.lua "" '
    { "jump", from = "open", to = "done", by = { "boss" }, when = { "consent_recordd" } }, --@'
expect_check "guard naming an unknown rule" guardname.lua "guardname.lua:$(marked guardname.lua): transition 'jump': guard 'consent_recordd' is neither a rule name nor a function (no rule 'consent_recordd' is defined)"

wf guardtable.lua "" '
    { "jump", from = "open", to = "done", by = { "boss" }, --@
      when = { function() return true end, { "nested" } } },'
expect_check "guard that is a table" guardtable.lua "guardtable.lua:$(marked guardtable.lua): transition 'jump': guard 2 is a table, neither a rule name nor a function"

# the rule is known when it comes in the same check
wf guardbatch.lua "" '
    { "jump", from = "open", to = "done", by = { "boss" }, when = { "visit_done" } },'
expect_ok "guard naming a rule checked alongside" "$K" check guardbatch.lua visit_done.lua

wf typo.lua "" '
    { "jump", from = "open", to = "done", by = { "boss" }, requries = { "visit" } }, --@'
expect_check "unknown transition field (requries)" typo.lua "typo.lua:$(marked typo.lua): transition 'jump': unknown field requries"

wf statetypo.lua '
    { "extra", reveiw = "7d" }, --@' '
    { "toextra", from = "open", to = "extra", by = { "boss" } },'
expect_check "unknown state field (reveiw)" statetypo.lua "statetypo.lua:$(marked statetypo.lua): state 'extra': unknown field reveiw"

wf wftypo.lua "" "" '
  titel = "Mini again", --@'
expect_check "unknown workflow field (titel): reported at the workflow" wftypo.lua \
  "wftypo.lua:1: unknown field titel in workflow (fields: name, title, description, roles, initial, states, transitions, on_enter, on_exit, forms, rules, sensitive, controlled, settings)"

wf after.lua "" '
    { "lapse", from = "open", to = "done", after = "30 days" }, --@'
expect_check "bad duration in after" after.lua "after.lua:$(marked after.lua): transition 'lapse': after 30 days is not a duration (e.g. \"90d\")"

wf afternum.lua "" '
    { "lapse", from = "open", to = "done", after = 30 }, --@'
expect_check "after that is a number" afternum.lua "afternum.lua:$(marked afternum.lua): transition 'lapse': after 30 is not a duration (e.g. \"90d\")"

wf review.lua '
    { "paused", review = "fortnightly" }, --@' '
    { "pause", from = "open", to = "paused", by = { "boss" } },'
expect_check "bad duration in review" review.lua "review.lua:$(marked review.lua): state 'paused': review fortnightly is not a duration (e.g. \"28d\", \"12h\", \"2w\")"

# Zero and negative durations: a timer due the moment it is set would fire for ever.
wf afterzero.lua "" '
    { "lapse", from = "open", to = "done", after = "0s" }, --@'
expect_check "after of zero" afterzero.lua "afterzero.lua:$(marked afterzero.lua): transition 'lapse': after 0s is zero: a timer needs a duration longer than zero (e.g. \"90d\")"
wf afterneg.lua "" '
    { "lapse", from = "open", to = "done", after = "-3d" }, --@'
expect_check "negative after" afterneg.lua "afterneg.lua:$(marked afterneg.lua): transition 'lapse': after -3d is negative: a timer needs a duration longer than zero (e.g. \"90d\")"
wf reviewzero.lua '
    { "paused", review = "0d" }, --@' '
    { "pause", from = "open", to = "paused", by = { "boss" } },'
expect_check "review of zero" reviewzero.lua "reviewzero.lua:$(marked reviewzero.lua): state 'paused': review 0d is zero: a review needs a duration longer than zero (e.g. \"28d\")"
wf reviewneg.lua '
    { "paused", review = "-1w" }, --@' '
    { "pause", from = "open", to = "paused", by = { "boss" } },'
expect_check "negative review" reviewneg.lua "reviewneg.lua:$(marked reviewneg.lua): state 'paused': review -1w is negative: a review needs a duration longer than zero (e.g. \"28d\")"
wf schedzero.lua "" '
    { "nudge", from = "open", to = "working", by = { "boss" },
      action = function(case) case:schedule("chase", "0h") end }, --@'
expect_check "case:schedule with a literal zero" schedzero.lua "schedzero.lua:$(marked schedzero.lua): case:schedule: after 0h is zero: a timer needs a duration longer than zero (e.g. \"14d\")"

# Names that also appear earlier in other lists ({ "visit" } of a state's forms) must not
# move the reported line away from the transition itself.
cat >samename.lua <<'EOF'
return workflow {
  name = "samename",
  roles = { "worker" },
  initial = "a",
  states = {
    { "a", forms = { "review" } },
    { "b", final = true },
  },
  transitions = {
    { "go", from = "a", to = "b", by = { "worker" } },
    { "review", from = "a", to = "b", by = { "worker" }, requries = { "x" } }, --@
  },
}
EOF
expect_check "transition named like a form listed earlier: its own line" samename.lua "samename.lua:$(marked samename.lua): transition 'review': unknown field requries"

# Several problems in one file: all reported, in line order.
cat >several.lua <<'EOF'
return workflow {
  name = "several",
  roles = { "worker" },
  initial = "a",
  states = {
    { "a" },
    { "b", review = "soon" },
    { "c", final = true },
  },
  transitions = {
    { "ab", from = "a", to = "b", by = { "worker" } },
    { "bc", from = "b", to = "c", by = { "wizard" } },
    { "cx", from = "a", to = "x", by = { "worker" } },
  },
}
EOF
expect_check "every problem of a file, in line order" several.lua \
  "several.lua:7: state 'b': review soon is not a duration (e.g. \"28d\", \"12h\", \"2w\")" \
  "several.lua:12: transition 'bc' names unknown role 'wizard' in by (roles: worker)" \
  "several.lua:13: transition 'cx' names unknown state 'x'"

# ---- files that do not load ---------------------------------------------------------

cat >syntax.lua <<'EOF'
return workflow {
  name = "syntax",
  roles = { "worker" }
  initial = "a",
}
EOF
run "$K" check syntax.lua
if [ "$RC" -eq 1 ] && [[ "$ERR" == "syntax.lua:4: "*"'}' expected"* ]]; then t_ok "Lua syntax error: file:line"
else t_fail "Lua syntax error: file:line" "exit $RC: $ERR"; fi

cat >runtime.lua <<'EOF'
local states = { { "a" } }
local extra = nil
states[2] = extra.name
return workflow { name = "runtime", roles = { "w" }, initial = "a", states = states }
EOF
run "$K" check runtime.lua
if [ "$RC" -eq 1 ] && [[ "$ERR" == "runtime.lua:3: attempt to index a nil value"* ]] && [ "$(echo "$ERR" | wc -l)" -eq 1 ]
then t_ok "runtime error at top level: file:line"; else t_fail "runtime error at top level: file:line" "exit $RC: $ERR"; fi

cat >raise.lua <<'EOF'
-- a file that gives up
error("this programme is not finished")
EOF
expect_check "error() at top level" raise.lua "raise.lua:2: this programme is not finished"

cat >nothing.lua <<'EOF'
local w = { name = "nothing" }
EOF
expect_check "file returning nothing" nothing.lua \
  "nothing.lua:1: the file must return workflow { ... }, adapt \"base\" { ... }, rule { ... }, form { ... }, plugin { ... }, scenarios \"name\" { ... } or migration { ... } (it returned nil)"

cat >plain.lua <<'EOF'
return { name = "plain", roles = { "w" } }
EOF
expect_check "file returning a plain table" plain.lua \
  "plain.lua:1: the file must return workflow { ... }, adapt \"base\" { ... }, rule { ... }, form { ... }, plugin { ... }, scenarios \"name\" { ... } or migration { ... } (it returned table)"

cat >sandbox.lua <<'EOF'
local f = io.open("/etc/passwd")
return workflow { name = "sandbox" }
EOF
run "$K" check sandbox.lua
if [ "$RC" -eq 1 ] && [[ "$ERR" == "sandbox.lua:1: "* ]]; then t_ok "io is not available to workflow files"
else t_fail "io is not available to workflow files" "exit $RC: $ERR"; fi

expect_refused "missing file: exit 1" 1 "missing.lua" "$K" check missing.lua
run "$K" check good.lua to.lua
expect_eq "one bad file among good ones: exit 1" 1 "$RC"

# ---- rules and forms ----------------------------------------------------------------

cat >badrule.lua <<'EOF'
return rule { name = "half", descripton = "typo" }
EOF
run "$K" check badrule.lua
expect_check "rule without check, with a typo: reported at the rule's line" badrule.lua \
  "badrule.lua:1: rule 'half' has no check = function(case) ... end" \
  "badrule.lua:1: rule 'half': unknown field descripton"

cat >badform.lua <<'EOF'
return form { name = "visit2",
  fields = {
    { "visit_date", type = "date" },
    { "mood", type = "choice" }, --@
  } }
EOF
expect_check "form choice field without choices" badform.lua "badform.lua:$(marked badform.lua): form 'visit2' field 'mood': a choice needs choices = { ... }"

cat >badform2.lua <<'EOF'
return form { name = "visit3",
  fields = {
    { "visit_date", type = "datetime" }, --@
  } }
EOF
expect_check "form field of unknown type" badform2.lua "badform2.lua:$(marked badform2.lua): form 'visit3' field 'visit_date': unknown type datetime (text, number, boolean, date, choice, member, list)"

# ---- adaptations ----------------------------------------------------------------------

mkdir -p lib
cp good.lua lib/mini.lua
cat >lib/mini_local.lua <<'EOF'
return adapt "mini" {
  name = "mini_local",
  title = "Mini, local",
  roles = { "elder" },
  states = {
    { "yarning", title = "Yarning circle" },
    { "working", review = "14d" },
  },
  transitions = {
    { "yarn", from = "open", to = "yarning", by = { "elder" } },
    { "back", from = "yarning", to = "working", by = { "elder", "worker" } },
  },
}
EOF
run "$K" check lib/mini_local.lua
expect_eq "adapt: base beside the file resolves, exit 0" 0 "$RC"
expect_eq "adapt: says ok" "lib/mini_local.lua: ok (workflow mini_local)" "$OUT"
run "$K" check --json lib/mini_local.lua
got=$(echo "$OUT" | "$PY" -c '
import json,sys
f = json.load(sys.stdin)["files"][0]
d = f["definition"]
print(f["base"], ",".join(d["roles"]), ",".join(s["name"] for s in d["states"]),
      [s for s in d["states"] if s["name"] == "working"][0]["review"],
      ",".join(t["name"] for t in d["transitions"]))' 2>&1)
expect_eq "adapt: resolved flat definition (roles added, state added before finals, field overridden)" \
  "mini worker,boss,elder open,working,yarning,done 14d start,finish,close,yarn,back" "$got"

cat >lib/mini_bad.lua <<'EOF'
return adapt "mini" {
  name = "mini_bad",
  transitions = {
    { "yarn", from = "open", to = "circle", by = { "worker" } }, --@
  },
}
EOF
expect_check "adapt: a problem is reported in the adapt file" lib/mini_bad.lua "lib/mini_bad.lua:$(marked lib/mini_bad.lua): transition 'yarn' names unknown state 'circle'"

cat >lib/mini_island.lua <<'EOF'
return adapt "mini" {
  name = "mini_island",
  states = {
    { "island" }, --@
  },
}
EOF
expect_check "adapt: an added state nothing leads to is unreachable" lib/mini_island.lua "lib/mini_island.lua:$(marked lib/mini_island.lua): state 'island' is unreachable from initial state 'open'"

cat >lib/mini_remove.lua <<'EOF'
return adapt "mini" {
  name = "mini_remove",
  remove = { transitions = { "finish" } },
}
EOF
run "$K" check lib/mini_remove.lua
expect_eq "adapt: removing a transition is allowed when the graph stays sound" 0 "$RC"

cat >lib/mini_remove_bad.lua <<'EOF'
return adapt "mini" {
  name = "mini_remove_bad",
  remove = { transitions = { "finnish" } },
}
EOF
run "$K" check lib/mini_remove_bad.lua
if [ "$RC" -eq 1 ] && [[ "$ERR" == "lib/mini_remove_bad.lua:"*"remove: mini has no transition 'finnish'"* ]]
then t_ok "adapt: removing an unknown transition"; else t_fail "adapt: removing an unknown transition" "exit $RC: $ERR"; fi

cat >lib/orphan.lua <<'EOF'
return adapt "nosuchbase" {
  name = "orphan",
}
EOF
expect_check "adapt: base neither deployed nor beside the file" lib/orphan.lua \
  "lib/orphan.lua:1: adapt: base programme 'nosuchbase' is neither deployed nor in lib/nosuchbase.lua"

mkdir -p broken
cp to.lua broken/mini.lua
cp lib/mini_local.lua broken/
run "$K" check broken/mini_local.lua
if [ "$RC" -eq 1 ] && [[ "$ERR" == *"broken/mini.lua:"*"transition 'jump' names unknown state 'finished'"* ]]
then t_ok "adapt: a broken base is reported in the base's file"; else t_fail "adapt: a broken base is reported in the base's file" "exit $RC: $ERR"; fi

# with a database holding the deployed base, an adaptation elsewhere resolves against it
mkdir -p elsewhere
cp lib/mini_local.lua elsewhere/
"$K" init >/dev/null && "$K" deploy lib/mini.lua >/dev/null
expect_ok "adapt: base deployed in the database resolves" "$K" check elsewhere/mini_local.lua

# ---- deploy runs the same checks ----------------------------------------------------------

run "$K" deploy to.lua
if [ "$RC" -eq 1 ] && [[ "$ERR" == *"to.lua:$(marked to.lua): transition 'jump' names unknown state 'finished'"* ]]
then t_ok "deploy refuses a broken file, naming file:line"; else t_fail "deploy refuses a broken file, naming file:line" "exit $RC: $ERR"; fi
run "$K" workflows --json
got=$(echo "$OUT" | "$PY" -c 'import json,sys; print(sorted({d["name"] for d in json.load(sys.stdin)}))' 2>&1)
expect_eq "a refused deploy stores nothing" "['mini']" "$got"

# ---- usage ------------------------------------------------------------------------

expect_refused "check with no file: usage, exit 2" 2 "check needs at least one FILE" "$K" check
expect_refused "check with an unknown option: exit 2" 2 "unknown option --strict" "$K" check --strict good.lua
expect_refused "no command: exit 2" 2 "usage:" "$K"
expect_refused "unknown command: exit 2" 2 "unknown command 'chekc'" "$K" chekc good.lua

t_done
