-- engine/lua/scenario.lua: scenario files (`kinflow test`): their steps checked, and the
-- workflow files a scenario deploys. Running the steps is scenario.c's; nothing runs here.
local E = ...
local host, lib = E.host, E.lib
local lines = E.lines
local fmt, insert = string.format, table.insert
local q, set_of, line_of, parse_date = lib.q, lib.set_of, lib.line_of, lib.parse_date

---------------------------------------------------------------------------------------
-- Scenario files (kinflow test)

local STEP_ACTIONS = { "fire", "submit", "member", "set", "advance", "review", "expect", "decision" }
local STEP_KEYS = set_of { "fire", "as", "actor", "reason", "refused", "submit", "data", "member",
  "name", "set", "advance", "review", "note", "expect", "decision", "decided", "family_agreed",
  "members" }

-- A decision step: { decision = "transition", decided = "...", family_agreed = true|false,
-- members = { "name on the case", ... } }; fail(msg, ...) raises at the step's line.
local function check_decision_step(st, fail)
  if st.decision == nil then
    if st.decided ~= nil or st.family_agreed ~= nil or st.members ~= nil then
      fail("decided, family_agreed and members go with decision = \"transition\"")
    end
    return
  end
  if type(st.decision) ~= "string" then fail("decision names the transition it is for (text)") end
  if type(st.decided) ~= "string" or st.decided == "" then fail("decision %s needs decided = \"what was decided\"", q(st.decision)) end
  if type(st.family_agreed) ~= "boolean" then fail("decision %s needs family_agreed = true or false", q(st.decision)) end
  if type(st.members) ~= "table" or #st.members == 0 then
    fail("decision %s needs members = { \"a member's name\", ... } (who took part)", q(st.decision))
  end
  for i, m in ipairs(st.members) do
    if type(m) ~= "string" then fail("decision %s: members item %d is not a name (text)", q(st.decision), i) end
  end
end
local EXPECT_KEYS = set_of { "state", "final", "overdue", "data", "as", "moves", "blocked" }
local SCENARIO_KEYS = set_of { "now", "data", "ref", "steps" }

-- Consent steps: { consent = PURPOSE, by = "a member's name", from = DATE?, ["until"] = DATE? }
-- (until is a Lua keyword: ends = DATE says the same) and { withdraw = PURPOSE, by = "a
-- member's name", reason = TEXT? }.
local function add_consent_steps()
  for _, a in ipairs { "consent", "withdraw" } do STEP_ACTIONS[#STEP_ACTIONS + 1] = a end
  for _, k in ipairs { "consent", "withdraw", "by", "from", "until", "ends" } do STEP_KEYS[k] = true end
end
add_consent_steps()

-- Practice's records: { member_end = "a member's name", reason = "...", on = DATE? } (they
-- leave the case) and { setting = NAME, value = V } (the agency sets a setting).
for _, a in ipairs { "member_end", "setting" } do STEP_ACTIONS[#STEP_ACTIONS + 1] = a end
for _, k in ipairs { "member_end", "on", "setting", "value" } do STEP_KEYS[k] = true end

local function check_records_step(st, fail)
  if st.member_end ~= nil then
    if type(st.member_end) ~= "string" then fail("member_end names the member who leaves (text)") end
    if type(st.reason) ~= "string" or st.reason == "" then fail("member_end %s needs reason = \"why they left\"", q(st.member_end)) end
  end
  if st.on ~= nil and (st.member_end == nil or type(st.on) ~= "string" or not st.on:match("^%d%d%d%d%-%d%d%-%d%d$")) then
    fail("on is the day a member left (YYYY-MM-DD), with member_end")
  end
  if st.setting ~= nil then
    if type(st.setting) ~= "string" then fail("setting names the agency setting (text)") end
    local t = type(st.value)
    if t ~= "string" and t ~= "number" and t ~= "boolean" then fail("setting %s needs value = a number, text or true/false", q(st.setting)) end
  elseif st.value ~= nil then
    fail("value goes with setting = NAME")
  end
end

local function check_consent_step(st, fail)
  local what = st.consent ~= nil and "consent" or st.withdraw ~= nil and "withdraw" or nil
  if not what then
    for _, k in ipairs { "by", "from", "until", "ends" } do
      if st[k] ~= nil then fail("%s is for consent and withdraw steps", k) end
    end
    return
  end
  if type(st[what]) ~= "string" or not st[what]:match("^[a-z][a-z0-9_]*$") then
    fail("%s: give a purpose (e.g. \"share_with_partners\")", what)
  end
  if type(st.by) ~= "string" then fail("%s %s needs by = \"a member's name\"", what, st[what]) end
  if st["until"] ~= nil and st.ends ~= nil then fail("consent: give until or ends, not both") end
  for _, k in ipairs { "from", "until", "ends" } do
    if st[k] ~= nil and (what ~= "consent" or type(st[k]) ~= "string" or not st[k]:match("^%d%d%d%d%-%d%d%-%d%d$")) then
      fail("%s: %s must be a date YYYY-MM-DD%s", what, k, what ~= "consent" and " of a consent step" or "")
    end
  end
end

function E.parse_scenarios(spec, path, map)
  local base_line = lines[spec] or 1
  local function fail(line, msg, ...) error(fmt("%s:%d: " .. msg, path, line, ...), 0) end
  for k in pairs(spec) do
    if k ~= "__workflow" and type(k) ~= "number" then fail(base_line, "scenarios: unknown field %s", tostring(k)) end
  end
  local out = {}
  for i, sc in ipairs(spec) do
    if type(sc) ~= "table" or type(sc[1]) ~= "string" then
      fail(base_line, "scenario %d must be { \"name\", steps = { ... } }", i)
    end
    local line = line_of(map, sc[1], base_line)
    local label = q(sc[1])
    for k in pairs(sc) do
      if k ~= 1 and not SCENARIO_KEYS[k] then fail(line, "scenario %s: unknown field %s (now, data, ref, steps)", label, tostring(k)) end
    end
    if sc.now ~= nil and not parse_date(sc.now) then fail(line, "scenario %s: now %s is not a date and time", label, tostring(sc.now)) end
    if sc.data ~= nil and type(sc.data) ~= "table" then fail(line, "scenario %s: data must be a table", label) end
    if type(sc.steps) ~= "table" then fail(line, "scenario %s has no steps = { ... }", label) end
    for j, st in ipairs(sc.steps) do
      if type(st) ~= "table" then fail(line, "scenario %s step %d must be a table", label, j) end
      local actions = {}
      for k in pairs(st) do
        if not STEP_KEYS[k] then fail(line, "scenario %s step %d: unknown key %s", label, j, tostring(k)) end
      end
      for _, a in ipairs(STEP_ACTIONS) do if st[a] ~= nil then actions[#actions + 1] = a end end
      if #actions ~= 1 then
        fail(line, "scenario %s step %d needs exactly one of %s", label, j, table.concat(STEP_ACTIONS, ", "))
      end
      check_consent_step(st, function(msg, ...) fail(line, "scenario %s step %d: " .. msg, label, j, ...) end)
      check_decision_step(st, function(msg, ...) fail(line, "scenario %s step %d: " .. msg, label, j, ...) end)
      check_records_step(st, function(msg, ...) fail(line, "scenario %s step %d: " .. msg, label, j, ...) end)
      if st.advance ~= nil and not host.duration(st.advance) then
        fail(line, "scenario %s step %d: advance %s is not a duration", label, j, tostring(st.advance))
      end
      if st.fire ~= nil and type(st.as) ~= "string" then
        fail(line, "scenario %s step %d: fire %s needs as = \"role\"", label, j, tostring(st.fire))
      end
      if st.expect ~= nil then
        if type(st.expect) ~= "table" then fail(line, "scenario %s step %d: expect must be a table", label, j) end
        for k in pairs(st.expect) do
          if not EXPECT_KEYS[k] then fail(line, "scenario %s step %d: expect has unknown key %s (state, final, overdue, data, as, moves, blocked)", label, j, tostring(k)) end
        end
      end
    end
    out[#out + 1] = { name = sc[1], line = line, now = sc.now, data = sc.data, ref = sc.ref, steps = sc.steps }
  end
  if #out == 0 then fail(base_line, "no scenarios in %s", path) end
  return out
end

function E.scenario_file(path)
  local src, err = host.read_file(path)
  if not src then error(err, 0) end
  local spec, kind, map = E.load_file(path, src)
  if not spec then error(kind, 0) end
  if kind ~= "scenarios" then error(fmt("%s:1: not a scenario file (it should return scenarios \"workflow\" { ... })", path), 0) end
  local name = spec.__workflow
  local dir = path:match("^(.*)/[^/]*$") or "."
  local chain, seen = {}, {}
  local wname = name
  while wname do
    local wpath = dir .. "/" .. wname .. ".lua"
    if seen[wpath] then break end
    seen[wpath] = true
    local wsrc, werr = host.read_file(wpath)
    if not wsrc then error(fmt("%s:%d: scenarios for %s: cannot read %s: %s", path, lines[spec] or 1, q(name), wpath, tostring(werr)), 0) end
    local wspec, wkind = E.load_file(wpath, wsrc)
    if not wspec then error(wkind, 0) end
    insert(chain, 1, { path = wpath })
    wname = wkind == "adapt" and wspec.__base or nil
  end
  return { workflow = name, deploy = chain, scenarios = E.parse_scenarios(spec, path, map) }
end
