-- engine/lua/check.lua: `kinflow check`: every problem of a batch of files, FILE:LINE: message,
-- in dependency order, and each definition exported as plain data for deploying. It stores
-- nothing (the C runtime stores what E.check returns) and runs no case.
local E = ...
local host, lib = E.host, E.lib
local lines = E.lines
local fmt, sort = string.format, table.sort
local q, set_of, A, negative, fires_from, declarations, resolve, place, normalise = lib.q, lib.set_of, lib.A, lib.negative, lib.fires_from, lib.declarations, lib.resolve, lib.place, lib.normalise
local registry = lib.plugin_registry

---------------------------------------------------------------------------------------
-- Checking

local function check_rule_spec(spec, path, map, out)
  local at = { path = path, line = lines[spec] or 1 }
  if type(spec.name) ~= "string" then out[#out + 1] = { at = at, msg = "rule has no name" } end
  if type(spec.check) ~= "function" then
    out[#out + 1] = { at = at, msg = fmt("rule %s has no check = function(case) ... end", q(spec.name)) }
  end
  for k in pairs(spec) do
    if k ~= "name" and k ~= "description" and k ~= "check" then
      out[#out + 1] = { at = at, msg = fmt("rule %s: unknown field %s", q(spec.name), tostring(k)) }
    end
  end
end

local FIELD_TYPES = set_of { "text", "number", "boolean", "date", "choice", "member", "list" }
local FIELD_KEYS = set_of { "type", "label", "required", "sensitive", "help", "min", "max", "choices", "of",
                            "future", "by", "roles" }

-- Problems with a field's future, by and roles (texts after "form 'x' field 'y': ").
local function field_key_problems(f, ty)
  local out = {}
  local item = ty == "list" and (f.of or "text") or ty
  if f.future ~= nil then
    if type(f.future) ~= "boolean" then
      out[#out + 1] = fmt("future must be true (a planned date) or false, not %s",
        type(f.future) == "string" and q(f.future) or tostring(f.future))
    elseif item ~= "date" then
      out[#out + 1] = fmt("future is for a date field (type = \"date\", or a list of date), not a %s field", ty)
    end
  end
  if f.by ~= nil then
    local _, why = lib.role_list(f.by, "by", 'by = { "acco_worker" }')
    if why then out[#out + 1] = why .. " (the roles that can give this field)" end
  end
  if f.roles ~= nil then
    if item ~= "member" then
      out[#out + 1] = fmt("roles is for a member field (type = \"member\", or a list of member), not a %s field", ty)
    else
      local _, why = lib.role_list(f.roles, "roles", 'roles = { "parent", "carer" }')
      if why then out[#out + 1] = why end
    end
  end
  return out
end

local function check_form_spec(spec, path, map, out)
  local at = { path = path, line = lines[spec] or 1 }
  local function problem(a, msg, ...) out[#out + 1] = { at = a, msg = fmt(msg, ...) } end
  if type(spec.name) ~= "string" then problem(at, "form has no name") end
  for k in pairs(spec) do
    if k ~= "name" and k ~= "title" and k ~= "description" and k ~= "fields" and k ~= "family" and k ~= "by" then
      problem(at, "form %s: unknown field %s", q(spec.name), tostring(k))
    end
  end
  for _, msg in ipairs(lib.form_family_problems(spec)) do problem(at, "%s", msg) end
  if type(spec.fields) ~= "table" then problem(at, "form %s has no fields = { ... }", q(spec.name)); return end
  local seen = {}
  for _, f in ipairs(spec.fields) do
    local fat = place(f, path, map, at.line)
    if type(f) ~= "table" or type(f[1]) ~= "string" then problem(fat, "form %s: each field is { \"name\", type = ... }", q(spec.name))
    else
      local label = fmt("form %s field %s", q(spec.name), q(f[1]))
      if seen[f[1]] then problem(fat, "%s: duplicate field", label) end
      seen[f[1]] = true
      for k in pairs(f) do if k ~= 1 and not FIELD_KEYS[k] then problem(fat, "%s: unknown key %s", label, tostring(k)) end end
      local ty = f.type or "text"
      if not FIELD_TYPES[ty] then problem(fat, "%s: unknown type %s (text, number, boolean, date, choice, member, list)", label, tostring(ty)) end
      if (ty == "choice" or (ty == "list" and f.of == "choice")) and (type(f.choices) ~= "table" or #f.choices == 0) then
        problem(fat, "%s: a choice needs choices = { ... }", label)
      end
      if ty == "list" and f.of ~= nil and not FIELD_TYPES[f.of] then problem(fat, "%s: unknown item type %s", label, tostring(f.of)) end
      for _, msg in ipairs(field_key_problems(f, ty)) do problem(fat, "%s: %s", label, msg) end
    end
  end
end


local function graph_problems(def, out)
  local function problem(at, msg, ...) out[#out + 1] = { at = at, msg = fmt(msg, ...) } end
  if not def.state_by[def.initial or ""] then return end
  local reach, todo = { [def.initial] = true }, { def.initial }
  while #todo > 0 do
    local s = table.remove(todo)
    for _, t in ipairs(def.transitions) do
      if def.state_by[t.to or ""] and fires_from(t, s, def) and not reach[t.to] then
        reach[t.to] = true; todo[#todo + 1] = t.to
      end
    end
  end
  for _, s in ipairs(def.states) do
    if not reach[s.name] then problem(s.at, "state %s is unreachable from initial state %s", q(s.name), q(def.initial)) end
    if not s.final then
      local out_ok = false
      for _, t in ipairs(def.transitions) do if fires_from(t, s.name, def) then out_ok = true; break end end
      if not out_ok then problem(s.at, "state %s is not final and has no way out (add a transition from it, or final = true)", q(s.name)) end
    end
  end
  local any_final = false
  for _, s in ipairs(def.states) do if s.final then any_final = true end end
  if not any_final then problem(def.at, "workflow %s has no final state", tostring(def.name)) end
end

-- The literal second argument of each `:schedule("name", "after")` on a line of code.
-- (Scanned by hand: the engine's own patterns are bounded like everyone's.)
local function schedule_literals(code)
  local out, at = {}, 1
  while true do
    local s, e = code:find("schedule", at, true)
    if not s then return out end
    at = e + 1
    local j = s - 1
    while j > 0 and code:sub(j, j) == " " do j = j - 1 end
    local k = e + 1
    local function space() while code:sub(k, k) == " " or code:sub(k, k) == "\t" do k = k + 1 end end
    local function text()
      space()
      local quote = code:sub(k, k)
      if quote ~= '"' and quote ~= "'" then return nil end
      local close = code:find(quote, k + 1, true)
      if not close then return nil end
      local v = code:sub(k + 1, close - 1)
      k = close + 1
      return v
    end
    space()
    if code:sub(j, j) == ":" and code:sub(k, k) == "(" then
      k = k + 1
      if text() then
        space()
        if code:sub(k, k) == "," then
          k = k + 1
          local d = text()
          if d then out[#out + 1] = d end
        end
      end
    end
  end
end

-- Durations of zero: a timer that falls due the moment it is set would fire again and
-- again at the same instant. Checked before deploying (a version stored earlier still loads).
local function timer_problems(def, out, source, path)
  local function problem(at, msg, ...) out[#out + 1] = { at = at, msg = fmt(msg, ...) } end
  for _, t in ipairs(def.transitions) do
    if t.after and host.duration(t.after) == 0 then
      problem(t.at, "transition %s: after %s is zero: a timer needs a duration longer than zero (e.g. \"90d\")", q(t.name), t.after)
    end
  end
  for _, st in ipairs(def.states) do
    if st.review and host.duration(st.review) == 0 then
      problem(st.at, "state %s: review %s is zero: a review needs a duration longer than zero (e.g. \"28d\")", q(st.name), st.review)
    end
  end
  -- case:schedule("name", "0s") written with literal text: refused here, as at run time
  -- (plain searches, line by line: a pattern over a whole file is refused as too costly)
  local n, at = 0, 1
  while at <= #source do
    local nl = source:find("\n", at, true) or #source + 1
    local text = source:sub(at, nl - 1)
    local dashes = text:find("--", 1, true)
    if dashes then text = text:sub(1, dashes - 1) end
    n, at = n + 1, nl + 1
    for _, d in ipairs(schedule_literals(text)) do
      if host.duration(d) == 0 or negative(d) then
        problem({ path = path, line = n }, "case:schedule: after %s is %s: a timer needs a duration longer than zero (e.g. \"14d\")",
          d, negative(d) and "negative" or "zero")
      end
    end
  end
end

-- Problems with names that only the wider world knows: rules and forms.
local function reference_problems(def, out, batch_rules, batch_forms, warnings)
  local function problem(at, msg, ...) out[#out + 1] = { at = at, msg = fmt(msg, ...) } end
  for _, t in ipairs(def.transitions) do
    for _, g in ipairs(t.when) do
      if g.rule and not (batch_rules[g.rule] or E.find_rule(g.rule, def)) then
        problem(t.at, "transition %s: guard %s is neither a rule name nor a function (no rule %s is defined)", q(t.name), q(g.rule), q(g.rule))
      end
    end
    for _, f in ipairs(t.requires) do
      if type(f) == "string" and not (batch_forms[f] or E.find_form(f, def)) then
        warnings[#warnings + 1] = { at = t.at, msg = fmt("warning: transition %s requires form %s, which has no definition; its entries will be stored unchecked", q(t.name), q(f)) }
      end
    end
  end
  for _, s in ipairs(def.states) do
    for _, f in ipairs(s.forms) do
      if type(f) == "string" and not (batch_forms[f] or E.find_form(f, def)) then
        warnings[#warnings + 1] = { at = s.at, msg = fmt("warning: state %s lists form %s, which has no definition; its entries will be stored unchecked", q(s.name), q(f)) }
      end
    end
  end
end

-- A definition as plain data, for storing, listing and the console.
local function export(def)
  local function copy_list(t) local c = A() for i, v in ipairs(t or {}) do c[i] = v end return c end
  local out = { name = def.name, title = def.title, description = def.description,
                initial = def.initial, roles = copy_list(def.roles), states = A(), transitions = A(),
                on_enter = A(), on_exit = A(), forms = copy_list(def.forms), rules = copy_list(def.rules),
                base = def.base_name, family_roles = copy_list(E.family_roles(def)),
                sensitive = { data = copy_list(def.sensitive.data), members = copy_list(def.sensitive.members) },
                controlled = copy_list(def.controlled), settings = A() }
  for i, name in ipairs(def.settings.__order or {}) do
    local s = def.settings[name]
    out.settings[i] = { name = name, default = s.default, label = s.label }
  end
  for i, s in ipairs(def.states) do
    out.states[i] = { name = s.name, title = s.title, description = s.description, forms = copy_list(s.forms),
                      review = s.review, final = s.final, outcome = s.outcome, ended_by = s.ended_by,
                      adapted = s.adapted,
                      line = s.at.line, file = s.at.path }
  end
  for i, t in ipairs(def.transitions) do
    local when = A()
    for j, g in ipairs(t.when) do when[j] = g.rule or ("function at " .. g.where) end
    out.transitions[i] = { name = t.name, title = t.title, description = t.description,
                           from = t.from_all and "*" or copy_list(t.from), to = t.to, stay = t.stay or nil,
                           by = t.by and copy_list(t.by) or nil,
                           requires = copy_list(t.requires), when = when, after = t.after,
                           reason = t.reason, action = t.action ~= nil, adapted = t.adapted,
                           decision = t.decision or nil,
                           line = t.at.line, file = t.at.path }
  end
  for k in pairs(def.on_enter) do out.on_enter[#out.on_enter + 1] = k end
  for k in pairs(def.on_exit) do out.on_exit[#out.on_exit + 1] = k end
  sort(out.on_enter); sort(out.on_exit)
  return out
end
E.export = export

-- check(files): files = { {path, source}, ... }. Returns { files = {...}, messages = {...} }
-- in dependency order (bases before their adaptations).
function E.check(files)
  local messages, results = A(), A()
  local batch, batch_rules, batch_forms, loaded_files = {}, {}, {}, {}
  local function msg(at, text) messages[#messages + 1] = { path = at.path, line = at.line, msg = text } end
  for _, f in ipairs(files) do
    local spec, kind, map = E.load_file(f.path, f.source)
    if not spec then
      local text = tostring(kind)
      local p, l, m = text:match("^(.-):(%d+): (.*)$")
      if not p and text:sub(1, #f.path + 2) == f.path .. ": " then p, m = f.path, text:sub(#f.path + 3) end
      messages[#messages + 1] = { path = p or f.path, line = tonumber(l) or 0, msg = m or text }
    elseif f.only and kind ~= f.only and #declarations(f.only, spec, kind) > 0 then
      -- `rule deploy` of a plugin.lua (or a workflow): each rule it declares, on its own
      for _, d in ipairs(declarations(f.only, spec, kind)) do
        local item = { path = f.path, source = f.source, spec = d, kind = f.only, map = map }
        loaded_files[#loaded_files + 1] = item
        if type(d.name) == "string" then (f.only == "rule" and batch_rules or batch_forms)[d.name] = item end
      end
    else
      local item = { path = f.path, source = f.source, spec = spec, kind = kind, map = map }
      loaded_files[#loaded_files + 1] = item
      if kind == "workflow" or kind == "adapt" then
        local name = spec.name
        if type(name) == "string" then
          if batch[name] then msg({ path = f.path, line = lines[spec] or 1 }, fmt("workflow %s is also defined in %s", q(name), batch[name].path))
          else batch[name] = item end
        end
      elseif kind == "rule" and type(spec.name) == "string" then batch_rules[spec.name] = item
      elseif kind == "form" and type(spec.name) == "string" then batch_forms[spec.name] = item end
    end
  end
  local order, placed = {}, {}
  local function visit(item, depth)
    if placed[item] or depth > 8 then return end
    if item.kind == "adapt" and batch[item.spec.__base] then visit(batch[item.spec.__base], depth + 1) end
    placed[item] = true
    order[#order + 1] = item
  end
  for _, item in ipairs(loaded_files) do visit(item, 0) end
  for _, item in ipairs(order) do
    local out, warnings = {}, {}
    local res = { path = item.path, source = item.source, kind = item.kind,
                  name = item.spec.name or item.spec.__workflow }
    if item.kind == "workflow" or item.kind == "adapt" then
      res.kind = "workflow"
      local raw, err = resolve(item.spec, item.path, item.map, batch)
      if not raw then
        local p, l, m = tostring(err):match("^(.-):(%d+): (.*)$")
        out[#out + 1] = { at = { path = p or item.path, line = tonumber(l) or 1 }, msg = m or err }
      else
        local def = normalise(raw, out)
        graph_problems(def, out)
        timer_problems(def, out, item.source, item.path)
        reference_problems(def, out, batch_rules, batch_forms, warnings)
        res.title = def.title
        res.definition = export(def)
        res.base = item.spec.__base
        res.base_id = raw.base_id
      end
    elseif item.kind == "rule" then
      check_rule_spec(item.spec, item.path, item.map, out)
      res.title = item.spec.description
      res.definition = { name = item.spec.name, description = item.spec.description }
    elseif item.kind == "form" then
      check_form_spec(item.spec, item.path, item.map, out)
      res.title = item.spec.title
      res.definition = { name = item.spec.name, title = item.spec.title, fields = item.spec.fields,
                         family = item.spec.family, by = item.spec.by }
    elseif item.kind == "scenarios" then
      local ok, serr = pcall(E.parse_scenarios, item.spec, item.path, item.map, batch)
      if not ok then -- parse_scenarios says FILE:LINE: itself
        local p, l, m = tostring(serr):match("^(.-):(%d+): (.*)$")
        out[#out + 1] = { at = { path = p or item.path, line = tonumber(l) or lines[item.spec] or 1 }, msg = m or tostring(serr) }
      end
    elseif item.kind == "migration" then
      lib.check_migration_spec(item.spec, item.path, item.map, out, item.source)
      res.name = item.spec.workflow
    elseif item.kind == "plugin" then
      -- plugin folders are checked when loaded (kinflow plugins)
    end
    sort(out, function(a, b) return a.at.line < b.at.line end)
    for _, p in ipairs(out) do msg(p.at, p.msg) end
    res.errors = #out
    res.warnings = A()
    for _, w in ipairs(warnings) do
      res.warnings[#res.warnings + 1] = { path = w.at.path, line = w.at.line, msg = w.msg }
    end
    results[#results + 1] = res
  end
  E.load_plugins()
  return { files = results, messages = messages, plugin_problems = registry.problems }
end

lib.check_rule_spec, lib.export = check_rule_spec, export
