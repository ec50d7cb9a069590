-- engine/lua/migrate.lua: programme versions: a migration plan (states mapped by name, or as
-- a plan file says, and a data function), and what moving one case to another version would
-- do (its state, data, timers, moves). It decides and returns; it never writes (migrate.c does).
local E = ...
local host, lib = E.host, E.lib
local kinds, lines = E.kinds, E.lines
local fmt, concat, sort = string.format, table.concat, table.sort
local q, A, fires_from, field_line = lib.q, lib.A, lib.fires_from, lib.field_line

local PLAN_FIELDS = { workflow = true, to = true, states = true, data = true }

-- Adaptations re-applied on a base's new version before anything is deployed (a dry run):
-- key (a negative id, never a stored one) -> definition. E.version finds them too, so the
-- moves and forms of a case on one are worked out as on a stored version. One an
-- adaptation's version in force; bounded (emptied past 64).
local provisional, nprovisional = {}, 0
local stored_version = E.version
function E.version(id)
  local def = id and provisional[id]
  if def then return def end
  return stored_version(id)
end

-- migrate_adapted(key, path, source, base_id): adaptation `source` (its version in force)
-- re-applied on base version base_id, kept as provisional definition key. Returns {} or
-- {problem = "FILE:LINE: message"} (it cannot be re-applied there).
function E.migrate_adapted(key, path, source, base_id)
  provisional[key] = nil
  local spec, kind, map = E.load_file(path, source)
  if not spec then return { problem = kind } end
  if kind ~= "adapt" then return { problem = fmt("%s:1: not an adaptation (it returns a %s)", path, kind) } end
  local base_raw, err = E.raw_version(base_id)
  if not base_raw then return { problem = err } end
  local raw = lib.merge(base_raw, spec, path, map)
  raw.base_id = base_id
  local problems = {}
  local ok, def = pcall(lib.normalise, raw, problems)
  if not ok then return { problem = E.errtext(def, path) } end
  if #problems > 0 then
    local p = problems[1]
    return { problem = fmt("%s:%d: %s", p.at.path, p.at.line, p.msg) }
  end
  def.id = key
  if nprovisional >= 64 then provisional, nprovisional = {}, 0 end
  provisional[key], nprovisional = def, nprovisional + 1
  return {}
end

-- Problems of a migration spec as { at = {path, line}, msg } (kinflow check, and loading).
local function check_migration_spec(spec, path, map, out, source)
  local at = { path = path, line = lines[spec] or 1 }
  local function line_of(_, name, fallback) return source and field_line(source, name) or fallback end
  local function add(where, text) out[#out + 1] = { at = where or at, msg = text } end
  if type(spec.workflow) ~= "string" or spec.workflow == "" then
    add(nil, 'migration has no workflow (workflow = "name")')
  end
  if math.type(spec.to) ~= "integer" or spec.to < 1 then
    add({ path = path, line = line_of(map, "to", at.line) }, "migration: to must be a version number (to = 2)")
  end
  if spec.states ~= nil then
    if type(spec.states) ~= "table" then
      add({ path = path, line = line_of(map, "states", at.line) }, 'migration: states must map old names to new ones (states = { old = "new" })')
    else
      for k, v in pairs(spec.states) do
        if type(k) ~= "string" or type(v) ~= "string" then
          add({ path = path, line = line_of(map, "states", at.line) },
            fmt("migration: states maps state names to state names (%s = %s is not)", tostring(k), tostring(v)))
        end
      end
    end
  end
  if spec.data ~= nil and type(spec.data) ~= "function" then
    add({ path = path, line = line_of(map, "data", at.line) }, "migration: data must be a function(data) ... return data end")
  end
  for k in pairs(spec) do
    if not PLAN_FIELDS[k] then add(nil, fmt("migration: unknown field %s", tostring(k))) end
  end
end
lib.check_migration_spec = check_migration_spec

-- The plan file for moving workflow `name` to version `version` (def: that version's
-- definition): { spec, path }, or nil, "PATH:LINE: message".
local function load_plan(path, source, name, version, def)
  local spec, kind, map = E.load_file(path, source)
  if not spec then return nil, kind end
  if kind ~= "migration" then
    return nil, fmt('%s:%d: a plan file returns migration { workflow = "%s", to = %d, ... } (this one returns a %s)',
      path, lines[spec] or 1, name, version, kind)
  end
  local out = {}
  check_migration_spec(spec, path, map, out, source)
  local function line_of(_, key, fallback) return field_line(source, key) or fallback end
  if #out > 0 then return nil, fmt("%s:%d: %s", out[1].at.path, out[1].at.line, out[1].msg) end
  local at = lines[spec] or 1
  if spec.workflow ~= name then
    return nil, fmt("%s:%d: the plan is for workflow %s, not %s", path, at, q(spec.workflow), q(name))
  end
  if spec.to ~= version then
    return nil, fmt("%s:%d: the plan moves cases to version %d, not %d (--to)", path, line_of(map, "to", at), spec.to, version)
  end
  local keys = {}
  for k in pairs(spec.states or {}) do keys[#keys + 1] = k end
  sort(keys)
  for _, k in ipairs(keys) do
    local v = spec.states[k]
    if not def.state_by[v] then
      return nil, fmt("%s:%d: states: %s = %s: %s v%d has no state %s", path, line_of(map, k, at), k, q(v),
        name, version, q(v))
    end
  end
  return { spec = spec, path = path }
end

-- Where state `state` of a case goes on def: new state, and how ("name", "plan"); nil when
-- unmapped (on an adaptation re-applied, also when the plan's state is one it removed).
local function map_state(plan, def, state)
  local s = plan and plan.spec.states and plan.spec.states[state]
  if s then
    if def.state_by[s] then return s, "plan" end
    return nil
  end
  if def.state_by[state] then return state, "name" end
  return nil
end

-- migrate_plan(name, version, to_id, froms, path?, source?): froms = [{workflow_id, version,
-- states = {state: cases}, and for an adaptation's cases workflow, to_id, to_version (its
-- target) or problem (it cannot be re-applied)}]. Returns {from = [{version, states =
-- [{state, to, by, cases}], workflow?, to_version?, problem?}], unmapped = [{version, state,
-- cases, workflow?}], data}.
function E.migrate_plan(name, version, to_id, froms, path, source)
  local def = E.version(to_id)
  local plan
  if path then
    local p, err = load_plan(path, source, name, version, def)
    if not p then return nil, "invalid", err end
    plan = p
  end
  local out = { from = A(), unmapped = A(), data = plan and plan.spec.data ~= nil or false,
                to_states = A() }
  for i, s in ipairs(def.states) do out.to_states[i] = s.name end
  for _, f in ipairs(froms) do
    local old = E.version(f.workflow_id)
    local tdef = (not f.problem) and (f.to_id and E.version(f.to_id) or def) or nil
    local rows = A()
    for _, s in ipairs(old.states) do
      local to, by
      if tdef then to, by = map_state(plan, tdef, s.name) end
      local n = (f.states or {})[s.name] or 0
      rows[#rows + 1] = { state = s.name, to = to, by = by, cases = n, final = s.final or false }
      if tdef and not to then
        out.unmapped[#out.unmapped + 1] = { version = f.version, state = s.name, cases = n, workflow = f.workflow }
      end
    end
    out.from[#out.from + 1] = { version = f.version, states = rows, workflow = f.workflow,
                                to_version = f.to_version, problem = f.problem }
  end
  return out
end

local function copy(v, depth)
  if type(v) ~= "table" then return v end
  depth = (depth or 0) + 1
  if depth > 64 then error("the case's data is nested too deeply", 0) end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x, depth) end
  return setmetatable(out, getmetatable(v))
end

-- The names of the moves of c (as E.moves gives them, role nil) by name: {available, reasons}.
-- Moves fired by time only are left out: no one chooses them.
local function moves_of(c)
  local out = {}
  for _, m in ipairs(E.moves(c, nil)) do
    local timed = false
    for _, r in ipairs(m.refusals) do if r.code == "by_time" then timed = true end end
    if not timed then out[m.name] = m end
  end
  return out
end

-- The timers case c would have on def in state `to` (pending: its pending timers now).
-- Custom timers (case:schedule) go on as they are; a review keeps its cycle (a review
-- recorded meanwhile counts); transitions fired by time count from the stay's start.
local function timers_on(old, def, c, to, pending)
  local out = A()
  local st = def.state_by[to]
  if st.final then return out end -- a closed case keeps no timer
  for _, t in ipairs(pending) do
    if t.kind == "custom" then out[#out + 1] = { name = t.name, kind = t.kind, state = t.state, due = t.due_at } end
  end
  local entered = host.parse_time(c.entered_at)
  for _, tr in ipairs(def.transitions) do
    if tr.after and fires_from(tr, to, def) then
      out[#out + 1] = { name = tr.name, kind = "after", state = to, due = host.iso(entered + host.duration(tr.after)) }
    end
  end
  if st.review and c.overdue_since == nil then
    local start = entered
    local was = old.state_by[c.state]
    for _, t in ipairs(pending) do
      if t.kind == "review" and was and was.review then start = host.parse_time(t.due_at) - host.duration(was.review) end
    end
    out[#out + 1] = { name = "review", kind = "review", state = to, due = host.iso(start + host.duration(st.review)) }
  end
  return out
end

local function fn_at(fn, path)
  local p, l = host.fninfo(fn)
  return fmt("%s:%d", p or path, l or 0)
end

local function cannot(out, code, text)
  out.outcome = "cannot"
  out.reasons[#out.reasons + 1] = { code = code, text = text }
end

-- migrate_case(case, timers, name, version, to_id, path?, source?, target?): what moving
-- case c (a case row with entered_at, overdue_since) to version to_id of workflow name
-- would do; target {id, name, version}: an adaptation of it re-applied there, where the
-- case goes instead (the plan is still checked against name's version). timers: its timers.
-- {case, from, to, outcome = "move"|"cannot", reasons = [{code, text}], roles_gone = [role]?,
-- closes = {state, outcome}? (mapped into a final state), data, final,
-- overdue_since, timers = [{name, kind, state, due}], changes = {timers = [...], moves = [...]}}.
function E.migrate_case(c, timers, name, version, to_id, path, source, target)
  local old, def = E.version(c.workflow_id), E.version(to_id)
  local plan
  if path then
    local p, err = load_plan(path, source, name, version, def)
    if not p then return nil, "invalid", err end
    plan = p
  end
  if target then
    def, to_id, name, version = E.version(target.id), target.id, target.name, target.version
  end
  local out = { case = c.id, ref = c.ref, from = c.state, outcome = "move", reasons = A(),
                changes = { timers = A(), moves = A() } }
  -- roles gone: the roles that a move from the case's state names in the old version and
  -- that the new version no longer has (a warning, not a refusal)
  local gone, seen = A(), {}
  for _, tr in ipairs(old.transitions) do
    if fires_from(tr, c.state, old) then
      for _, r in ipairs(tr.by or {}) do
        if not seen[r] and not def.role_set[r] then seen[r] = true; gone[#gone + 1] = r end
      end
    end
  end
  sort(gone)
  if #gone > 0 then out.roles_gone = gone end
  local to = map_state(plan, def, c.state)
  if not to then
    cannot(out, "unmapped", fmt("state %s has no counterpart in %s v%d (map it in a plan: states = { %s = \"...\" })",
      q(c.state), name, version, c.state))
    return out
  end
  out.to = to
  local data = copy(type(c.data) == "table" and c.data or {})
  if plan and plan.spec.data then
    host.at(plan.path)
    local ok, res = pcall(plan.spec.data, data)
    if not ok then
      cannot(out, "data_function", fmt("case %s: %s", tostring(c.id), E.errtext(res, plan.path)))
      return out
    end
    if type(res) ~= "table" then
      cannot(out, "data_function", fmt("case %s: %s: the data function must return the case's data (a table), not %s",
        tostring(c.id), fn_at(plan.spec.data, plan.path), type(res)))
      return out
    end
    data = res
  end
  out.data = setmetatable(data, nil)
  -- the latest valid entry of each form the new version uses must pass its form there
  local ctx = { today = host.now():sub(1, 10), member = function(id) return E.member_of(c.id, id) end }
  local latest = {}   -- form -> its latest valid entry (one read for every form)
  for _, e in ipairs(host.entries(c.id)) do latest[e.form] = e end
  for _, f in ipairs(E.used_forms(def)) do
    local last = latest[f]
    local spec = last and E.find_form(f, def)
    if spec and last then
      ctx.role = last.role
      local errors = E.validate(spec.spec, type(last.data) == "table" and last.data or {}, ctx)
      if #errors > 0 then
        cannot(out, "form_entry", fmt("its latest %s entry fails %s v%d's form: %s", q(f), name, version, concat(errors, "; ")))
      end
    end
  end
  local st = def.state_by[to]
  out.final = st.final or false
  if st.final then out.closes = { state = to, outcome = st.outcome } end
  out.overdue_since = (st.review and not st.final) and c.overdue_since or nil
  local pending = {}
  for _, t in ipairs(timers) do if t.status == "pending" then pending[#pending + 1] = t end end
  out.timers = timers_on(old, def, c, to, pending)
  -- what changes: timers by name (custom ones go on as they are)
  local now = host.parse_time(host.now())
  local before, after = {}, {}
  for _, t in ipairs(pending) do if t.kind ~= "custom" then before[t.name] = t.due_at end end
  for _, t in ipairs(out.timers) do if t.kind ~= "custom" then after[t.name] = t.due end end
  local tnames = {}
  for k in pairs(before) do tnames[#tnames + 1] = k end
  for k in pairs(after) do if not before[k] then tnames[#tnames + 1] = k end end
  sort(tnames)
  for _, n in ipairs(tnames) do
    local b, a = before[n], after[n]
    local ch
    if b and not a then ch = { timer = n, change = "cancelled", was = b }
    elseif a and not b then ch = { timer = n, change = "added", due = a }
    elseif a ~= b then ch = { timer = n, change = "moved", was = b, due = a } end
    if ch then
      if ch.due and host.parse_time(ch.due) <= now then ch.due_now = true end
      out.changes.timers[#out.changes.timers + 1] = ch
    end
  end
  -- moves that become available or blocked
  if out.outcome == "move" and not st.final then
    local was = moves_of(c)
    local moved = { id = c.id, ref = c.ref, workflow = c.workflow, workflow_id = to_id, state = to, data = copy(out.data),
                    revision = c.revision, entered_at = c.entered_at }
    local now_moves = moves_of(moved)
    local mnames = {}
    for k in pairs(now_moves) do mnames[#mnames + 1] = k end
    sort(mnames)
    for _, n in ipairs(mnames) do
      local m, w = now_moves[n], was[n]
      if m.available and not (w and w.available) then
        out.changes.moves[#out.changes.moves + 1] = { move = n, change = "available", to = m.to }
      elseif not m.available and (not w or w.available) then
        out.changes.moves[#out.changes.moves + 1] = { move = n, change = "blocked", to = m.to, reasons = m.reasons }
      end
    end
  end
  return out
end
