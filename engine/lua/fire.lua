-- engine/lua/fire.lua: what a transition does: its unmet conditions as refusals ({code,
-- params, text}), the moves of a case, and the effects of opening and firing (state, data,
-- timers, events). It decides and returns; it never writes (the C runtime stores the result).
local E = ...
local host, lib = E.host, E.lib
local fmt, concat = string.format, table.concat
local q, names, A, fires_from, from_states, make_case = lib.q, lib.names, lib.A, lib.fires_from, lib.from_states, lib.make_case

---------------------------------------------------------------------------------------
-- Firing

local function guard_label(g) return g.rule and ("rule " .. q(g.rule)) or ("guard at " .. g.where) end

-- label: a text, or a guard (its label is made only when a refusal needs it).
local function guard_result(ok, a, b, label, path)
  if a and ok then return true end
  if type(label) == "table" then label = guard_label(label) end
  if not ok then return false, fmt("%s failed: %s", label, E.errtext(a, path or label)) end
  if type(b) == "string" and b ~= "" then return false, (b:gsub("[\r\n]+", " ")) end
  if type(b) == "number" then return false, tostring(b) end
  return false, label .. " is not met"
end

---------------------------------------------------------------------------------------
-- Private refusals: a guard's text that quotes a sensitive value of the case

-- The sensitive values of a case, lower-cased, each of 3 characters or more (numbers as
-- their text, lists item by item): its data under the workflow's sensitive data keys, its
-- members' data under the sensitive member keys, the sensitive fields of its entries.
-- keys_by: a table workflow id -> E.sensitive_keys, shared by the calls of one request.
local function private_values(c, keys_by)
  local keys = keys_by and keys_by[c.workflow_id]
  if not keys then
    keys = E.sensitive_keys(c.workflow_id)
    if keys_by then keys_by[c.workflow_id] = keys end
  end
  local out, seen = {}, {}
  local function add(v, depth)
    if type(v) == "number" then v = tostring(v) end
    if type(v) == "string" then
      if #v >= 3 then
        local low = v:lower()
        if not seen[low] then seen[low] = true; out[#out + 1] = low end
      end
    elseif type(v) == "table" and depth < 8 then
      for _, x in pairs(v) do add(x, depth + 1) end
    end
  end
  local data = type(c.data) == "table" and c.data or {}
  for _, k in ipairs(keys.data) do add(data[k], 0) end
  if c.id == nil then return out end
  if #keys.members > 0 then
    for _, m in ipairs(host.members(c.id)) do
      local d = type(m.data) == "table" and m.data or {}
      for _, k in ipairs(keys.members) do add(d[k], 0) end
    end
  end
  local any_form = false
  for _, fields in pairs(keys.forms) do if #fields > 0 then any_form = true; break end end
  if any_form then
    for _, e in ipairs(host.entries(c.id)) do
      local fields = keys.forms[e.form]
      local d = type(e.data) == "table" and e.data or {}
      for _, k in ipairs(fields or {}) do add(d[k], 0) end
    end
  end
  return out
end

-- A test for one case: does a text contain any of its sensitive values (case-insensitive)?
-- The values are read once, at the first text of 3 characters or more. When they cannot
-- be read (a form's definition fails to load), every text counts as private.
local function privacy(c, keys_by)
  local values
  return function(text)
    if type(text) ~= "string" or #text < 3 then return false end
    if not values then
      local ok, v = pcall(private_values, c, keys_by)
      values = ok and v or false
    end
    if values == false then return true end
    if #values == 0 then return false end
    local low = text:lower()
    for _, v in ipairs(values) do
      if low:find(v, 1, true) then return true end
    end
    return false
  end
end

-- A refusal as data: { code, params, text }. The text is the practitioner's sentence; the
-- console reads code and params, never the sentence. Codes: by_time, role, form_missing,
-- reason_required, decision_missing, guard (unmet), and state, final (E.fire from the wrong state). A guard's
-- refusal whose text quotes a sensitive value of the case is marked private = true (the
-- others are made of the definition's names and the caller's role, never of the case).
local function refusal(code, params, text) return { code = code, params = params, text = text } end

-- Every unmet condition of t for this case and role, as refusals (see refusal above).
-- is_private: privacy(c), shared by every transition of one call; nil: made at the first
-- refusal that needs it.
-- (A list even when empty for moves; nil when fire meets every condition.)
local guard_paths = setmetatable({}, { __mode = "k" })   -- guard -> its file
local function add_to(out, code, params, text)
  out = out or A()
  out[#out + 1] = refusal(code, params, text)
  return out
end

local function unmet(def, c, t, role, opts, is_private)
  local out = opts.moves and A() or nil
  if opts.timer then
    -- time fires it: roles do not apply
  elseif not t.by and t.after then
    out = add_to(out, "by_time", { transition = t.name, after = t.after },
      fmt("%s is fired by time only (after %s)", q(t.name), t.after))
  elseif role == nil then
    -- any role: listing moves without --as
  elseif t.by then
    local allowed, by = false, t.by   -- plain lists the definition made (define.lua): no ipairs
    for i = 1, #by do if by[i] == role then allowed = true end end
    if not allowed then
      local list = A()
      for i = 1, #by do list[i] = by[i] end
      out = add_to(out, "role", { role = role, transition = t.name, by = list },
        fmt("role %s may not fire %s (by: %s)", q(role), q(t.name), names(t.by)))
    end
  end
  local requires, when = t.requires, t.when
  for i = 1, #requires do
    local f = requires[i]
    if c.id == nil or #host.entries(c.id, f) == 0 then
      out = add_to(out, "form_missing", { form = f }, fmt("requires form %s (no valid entry)", q(f)))
    end
  end
  if t.decision and not E.decision_for(c, t.name) then
    out = add_to(out, "decision_missing", { transition = t.name },
      fmt("no shared decision has been recorded for %s since the case entered %s (who took part, their views, whether the family agreed)",
        q(t.name), q(c.state)))
  end
  if t.reason and not opts.moves and (type(opts.reason) ~= "string" or opts.reason:match("^%s*$")) then
    out = add_to(out, "reason_required", { transition = t.name }, fmt("%s needs a reason (--reason)", q(t.name)))
  end
  E.current_def = def
  for i = 1, #when do
    local g = when[i]
    local view = make_case(c, nil, host.copy(c.data))   -- a guard sees its own copy of the data
    local ok, why
    if g.rule then
      local r = E.find_rule(g.rule, def)
      if not r then ok, why = false, fmt("rule %s is not defined", q(g.rule))
      else
        host.at(r.path)
        local p, a, b = pcall(r.spec.check, view)
        ok, why = guard_result(p, a, b, g, r.path)
      end
    else
      local path = guard_paths[g]
      if not path then path = g.where:match("^(.*):%d+$"); guard_paths[g] = path end
      host.at(path)
      local p, a, b = pcall(g.fn, view)
      ok, why = guard_result(p, a, b, g, path)
    end
    if not ok then
      out = add_to(out, "guard", { transition = t.name, rule = g.rule, where = g.where, reason = why }, why)
      is_private = is_private or privacy(c)
      if is_private(why) then out[#out].private = true end
    end
  end
  return out
end

-- The texts of a list of refusals.
local function texts(refusals)
  local out = A()
  for i, r in ipairs(refusals) do out[i] = r.text end
  return out
end

local function check_role(def, role)
  if role == nil then return true end
  if not def.role_set[role] then
    return nil, "invalid", fmt("unknown role %s in workflow %s (roles: %s)", q(role), q(def.name), names(def.roles))
  end
  return true
end

-- Timers that start when a case enters `state` now (the engine's clock), or nil: none.
local function timers_for(def, state)
  local st = def.state_by[state]
  if st.final then return nil end
  local out, now
  local ts = def.transitions
  for i = 1, #ts do
    local t = ts[i]
    if t.after and fires_from(t, state, def) then
      now = now or host.parse_time(host.now())
      out = out or {}
      out[#out + 1] = { name = t.name, kind = "after", state = state, due = host.iso(now + host.duration(t.after)) }
    end
  end
  if st.review then
    now = now or host.parse_time(host.now())
    out = out or {}
    out[#out + 1] = { name = "review", kind = "review", state = state, due = host.iso(now + host.duration(st.review)) }
  end
  return out
end

-- Can a case in `state` hold timers of that state (a review, a move after a time)? When it
-- cannot, leaving the state has no timers to cancel and the store is not asked to.
local timed_states = setmetatable({}, { __mode = "k" })   -- def -> state -> boolean
local function has_state_timers(def, state)
  local known = timed_states[def]
  if not known then known = {}; timed_states[def] = known end
  if known[state] == nil then
    local st = def.state_by[state]
    local timed = st ~= nil and st.review ~= nil
    for _, t in ipairs(def.transitions) do
      if not timed and t.after and fires_from(t, state, def) then timed = true end
    end
    known[state] = timed
  end
  return known[state]
end

-- The effects an action collects: case.lua's schedule, cancel and emit make each list at
-- its first item, so a list the action never filled stays nil and is never converted.
local function effects() return {} end

local action_paths = setmetatable({}, { __mode = "k" })   -- function -> its file
local function run_action(fn, obj, path_hint)
  if fn then
    local p = action_paths[fn]
    if p == nil then p = host.fninfo(fn) or false; action_paths[fn] = p end
    host.at(p or path_hint)
    fn(obj)
  end
end

-- open(case): a new case (its id, ref, workflow, workflow_id and data; its row is written
-- after this, from what it returns) enters its workflow's initial state: the state, the
-- data as its on_enter action leaves it (nil when there is none: the data as given, unless
-- c.nulls says it holds nulls, which Lua's tables leave out), the state's timers and what
-- the action scheduled, cancelled or emitted.
function E.open(c)
  local def = E.version(c.workflow_id)
  E.current_def = def
  local state = def.initial
  local enter = def.on_enter[state]
  local res = { state = state, timers = timers_for(def, state) }
  if enter then
    c.state = state
    local eff = effects()
    local obj = make_case(c, eff)
    run_action(enter, obj)
    res.data = rawget(obj, "data") or {}
    res.schedules, res.cancels, res.emits = eff.schedules, eff.cancels, eff.emits
  elseif c.nulls then -- data with nulls: as Lua holds it (without them), as an action would
    res.data = type(c.data) == "table" and c.data or {}
  end
  return res
end

-- initial(workflow id): what opening a case of this version does, which never changes: its
-- initial state, whether an on_enter action runs there (enter), and the timers the state
-- starts as open's timers lists them but with their length in seconds for a due (secs).
-- fixed: no action and every length known, so that the runtime opens its cases without
-- asking open (each timer due at the opening's time plus its secs).
function E.initial(workflow_id)
  local def = E.version(workflow_id)
  local state = def.initial
  local st = def.state_by[state]
  local enter = def.on_enter[state] ~= nil
  local timers, fixed = A(), not enter
  if not st.final then
    for _, t in ipairs(def.transitions) do
      if t.after and fires_from(t, state, def) then
        local secs = host.duration(t.after)
        fixed = fixed and secs ~= nil
        timers[#timers + 1] = { name = t.name, kind = "after", state = state, secs = secs }
      end
    end
    if st.review then
      local secs = host.duration(st.review)
      fixed = fixed and secs ~= nil
      timers[#timers + 1] = { name = "review", kind = "review", state = state, secs = secs }
    end
  end
  return { state = state, final = st.final, enter = enter, timers = timers, fixed = fixed }
end

-- fire(case, transition, role, opts{reason, timer}): what firing does, or nil, code, msg.
-- case: its id, ref, workflow, workflow_id, state and data (the runtime passes no more).
local function label_of(c) return "case " .. tostring(c.id) end

local NO_OPTS = setmetatable({}, { __newindex = function() error("internal: options are read-only", 2) end })

function E.fire(c, name, role, opts)
  opts = opts or NO_OPTS
  local def = E.version(c.workflow_id)
  local t = def.transition_by[name]
  if not t then
    return nil, "notfound", fmt("%s: workflow %s has no transition %s (transitions: %s)", label_of(c), q(def.name), q(name), names(def.transitions))
  end
  local okr, code, why = check_role(def, role)
  if not okr then return nil, code, label_of(c) .. ": " .. why end
  local cur = def.state_by[c.state]
  if not cur then return nil, "invalid", fmt("%s is in state %s, which its workflow no longer has", label_of(c), q(c.state)) end
  if cur.final then
    local text = fmt("the case is in final state %s; nothing leaves a final state", q(c.state))
    return nil, "refused", fmt("%s: cannot fire %s: %s", label_of(c), q(name), text),
      A { refusal("final", { transition = name, state = c.state }, text) }
  end
  if not fires_from(t, c.state, def) then
    local from = A()
    for i, s in ipairs(from_states(def, t)) do from[i] = s end
    local text = fmt("case is in %s; %s fires from %s", q(c.state), q(name), names(from))
    return nil, "refused", fmt("%s: cannot fire %s: %s", label_of(c), q(name), text),
      A { refusal("state", { transition = name, state = c.state, from = from }, text) }
  end
  -- What the move does that no workflow code can change, worked out before any of it runs:
  -- the call's CPU budget hook is set at the first guard or action and then stays, and
  -- Lua stops at every instruction while it is set (luahost.c, arm).
  local eff = effects()
  local obj = make_case(c, eff)
  local to, timed, timers
  if not t.stay then
    to = def.state_by[t.to]
    timed = has_state_timers(def, c.state)
    timers = timers_for(def, t.to)
  end
  local refusals = unmet(def, c, t, role, opts, nil)
  if refusals then
    return nil, "refused", fmt("%s: cannot fire %s: %s", label_of(c), q(name), concat(texts(refusals), "; ")), refusals
  end
  E.current_def = def
  if t.stay then -- an act in the state: no exit, no entry, the state's timers go on
    run_action(t.action, obj, def.at.path)
    return { to = c.state, stay = true, final = false,
             data = rawget(obj, "data") or {},
             schedules = eff.schedules, cancels = eff.cancels, emits = eff.emits }
  end
  run_action(def.on_exit[c.state], obj, def.at.path)
  run_action(t.action, obj, def.at.path)
  rawset(obj, "state", t.to)
  run_action(def.on_enter[t.to], obj, def.at.path)
  local decision = t.decision and E.decision_for(c, t.name) or nil
  return { to = t.to, final = to.final, outcome = to.outcome, ended_by = to.ended_by,
           timed = timed, data = rawget(obj, "data") or {}, timers = timers,
           schedules = eff.schedules, cancels = eff.cancels, emits = eff.emits,
           decision = decision and decision.id or nil }
end

-- moves(case, role): every transition from the case's state, available or blocked.
function E.moves(c, role)
  local def = E.version(c.workflow_id)
  local okr, code, why = check_role(def, role)
  if not okr then return nil, code, fmt("case %s: %s", tostring(c.id), why) end
  local out = A()
  if def.state_by[c.state] and def.state_by[c.state].final then return out end
  local is_private = privacy(c)
  for _, t in ipairs(def.transitions) do
    if fires_from(t, c.state, def) then
      local refusals = unmet(def, c, t, role, { moves = true }, is_private)
      local to = t.stay and c.state or t.to
      out[#out + 1] = { name = t.name, title = t.title, to = to, to_title = def.state_by[to].title, stay = t.stay or nil,
                        by = t.by and A(t.by) or nil, after = t.after, reason_required = t.reason,
                        available = #refusals == 0, reasons = texts(refusals), refusals = refusals }
    end
  end
  return out
end

-- Is a transition named `name` able to fire from the case's state? (custom timers)
function E.has_transition(c, name)
  local def = E.version(c.workflow_id)
  local t = def.transition_by[name]
  return t ~= nil and fires_from(t, c.state, def)
end

function E.has_review(c)
  local def = E.version(c.workflow_id)
  local st = def.state_by[c.state]
  return st ~= nil and st.review ~= nil
end

function E.review_timer(c)
  local def = E.version(c.workflow_id)
  local st = def.state_by[c.state]
  if not st or not st.review then return nil, "refused", fmt("case %s: state %s has no review schedule", tostring(c.id), q(c.state)) end
  return { name = "review", kind = "review", state = c.state, due = host.iso(host.parse_time(host.now()) + host.duration(st.review)) }
end

lib.guard_result, lib.privacy = guard_result, privacy
