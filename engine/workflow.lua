-- engine/workflow.lua: the engine's Lua half. Reads workflow, adapt, rule, form, plugin and
-- scenario files into definitions, resolves adaptations, checks them, and decides what a
-- transition does (conditions, actions, timers). It never writes: the C runtime stores
-- what these functions return, in one transaction.
local E = ...
local host = E.host
local kinds, lines = E.kinds, E.lines
local fmt, concat, insert, sort = string.format, table.concat, table.insert, table.sort

---------------------------------------------------------------------------------------
-- Small helpers

local function q(s) return "'" .. tostring(s) .. "'" end

local function list_of(v)
  if v == nil then return {} end
  if type(v) == "table" then return v end
  return { v }
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local function names(list, sep)
  local out = {}
  for i, v in ipairs(list) do out[i] = type(v) == "table" and v.name or tostring(v) end
  return concat(out, sep or ", ")
end

local function is_array(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

-- Where names stand in a source. occ[name]: the lines, in order, of each list element that
-- opens a table with that name ({ "match", from = ... } after a `{` or `,`); first[name]:
-- the first line the name appears as text at all (roles, on_enter keys).
local function scan_lines(src)
  local occ, first = {}, {}
  local i, n, line, prev, prev2 = 1, #src, 1, nil, nil
  local byte, sub, find = string.byte, string.sub, string.find
  local function skip_long(j, level)          -- j: index after the opening [==[
    local close = "]" .. string.rep("=", level) .. "]"
    local e = find(src, close, j, true) or n
    for k = j, e do if byte(src, k) == 10 then line = line + 1 end end
    return e + #close
  end
  while i <= n do
    local c = byte(src, i)
    if c == 10 then line = line + 1; i = i + 1
    elseif c == 45 and byte(src, i + 1) == 45 then            -- comment
      local j, level = i + 2, nil
      if byte(src, j) == 91 then
        local k = j + 1
        while byte(src, k) == 61 do k = k + 1 end
        if byte(src, k) == 91 then level = k - j - 1 end
        if level then i = skip_long(k + 1, level) end
      end
      if not level then i = find(src, "\n", i, true) or n + 1 end
    elseif c == 34 or c == 39 then                              -- quoted string
      local j = i + 1
      while j <= n do
        local d = byte(src, j)
        if d == 92 then j = j + 2
        elseif d == c or d == 10 then break
        else j = j + 1 end
      end
      local s = sub(src, i + 1, j - 1)
      if first[s] == nil then first[s] = line end
      if prev == 123 and (prev2 == 123 or prev2 == 44) then
        occ[s] = occ[s] or {}
        occ[s][#occ[s] + 1] = line
      end
      prev2, prev = prev, 0
      i = j + 1
    elseif c == 91 and (byte(src, i + 1) == 91 or byte(src, i + 1) == 61) then
      local k = i + 1
      while byte(src, k) == 61 do k = k + 1 end
      if byte(src, k) == 91 then i = skip_long(k + 1, k - i - 1); prev2, prev = prev, 0
      else prev2, prev = prev, c; i = i + 1 end
    elseif c == 32 or c == 9 or c == 13 then i = i + 1
    else prev2, prev = prev, c; i = i + 1 end
  end
  return { occ = occ, first = first, used = {} }
end

-- The line of the next list element named `name` (each use takes the next occurrence).
local function line_of(map, name, fallback)
  local lines_ = map.occ[name]
  if not lines_ then return map.first[name] or fallback end
  local k = (map.used[name] or 0) + 1
  map.used[name] = k
  return lines_[k] or lines_[#lines_]
end

-- Where a constructor's call stands, when a tail call hid it: `return workflow {`.
local function constructor_line(src, kind)
  local word = kind == "adapt" and "adapt" or kind
  local n, at = 1, 1
  while at <= #src do
    local nl = src:find("\n", at, true) or #src + 1
    local text = src:sub(at, nl - 1)
    if #text < 400 and (text:find("^%s*return%s+" .. word) or text:find(word .. "%s*[{\"'(]")) then return n end
    n, at = n + 1, nl + 1
  end
  return 1
end

local A = host.array

-- A bounded cache, the way Redis caps its script cache: at most `size` entries and about
-- `bytes` of weight (what the caller says an entry costs). Two generations: a full young
-- one becomes the old one and the old one is dropped whole; a hit in the old generation
-- moves back to the young one, so what is in use stays. get and put are O(1).
local function bounded(size, bytes)
  local young, old, n, weight = {}, {}, 0, 0
  local c = {}
  function c.put(k, v, w)
    w = w or 0
    if young[k] == nil then n, weight = n + 1, weight + w end
    young[k] = { v, w }
    if n >= size // 2 or weight >= bytes // 2 then young, old, n, weight = {}, young, 0, 0 end
  end
  function c.get(k)
    local e = young[k]
    if e then return e[1] end
    e = old[k]
    if not e then return nil end
    old[k] = nil
    c.put(k, e[1], e[2])
    return e[1]
  end
  function c.count()
    local k = n
    for _ in pairs(old) do k = k + 1 end
    return k
  end
  return c
end
E.bounded = bounded

---------------------------------------------------------------------------------------
-- Loading files

-- path..source -> { value, kind, map }: 500 files or 8 MiB of source at most (a console
-- worker previews one rule text after another for as long as it lives).
local loaded = bounded(500, 8 << 20)

-- Run a file and return what it declares: value, kind, line map; or nil, message.
function E.load_file(path, source)
  local key = path .. "\0" .. source
  local hit = loaded.get(key)
  if hit then hit.map.used = {}; return hit.value, hit.kind, hit.map end
  local value, err = E.run(path, source)
  if err then return nil, err end
  local kind = type(value) == "table" and kinds[value] or nil
  if not kind then
    return nil, fmt("%s:1: the file must return workflow { ... }, adapt \"base\" { ... }, " ..
      "rule { ... }, form { ... }, plugin { ... } or scenarios \"name\" { ... } (it returned %s)",
      path, type(value))
  end
  if (lines[value] or -1) < 1 then lines[value] = constructor_line(source, kind) end
  hit = { value = value, kind = kind, map = scan_lines(source) }
  loaded.put(key, hit, #key)
  return value, kind, hit.map
end

---------------------------------------------------------------------------------------
-- Definitions: a raw spec (as written, adaptations merged) normalised into a def

local STATE_FIELDS = set_of { "title", "description", "forms", "review", "final", "outcome", "before" }
local TRANSITION_FIELDS = set_of { "title", "description", "from", "to", "by", "requires", "when",
  "after", "reason", "action" }
local WORKFLOW_FIELDS = set_of { "name", "title", "description", "roles", "initial", "states",
  "transitions", "on_enter", "on_exit", "forms", "rules" }
local ADAPT_FIELDS = set_of { "name", "title", "description", "roles", "initial", "states",
  "transitions", "on_enter", "on_exit", "forms", "rules", "remove", "__base" }

-- Each entry of a raw spec remembers the file and line it came from.
local function place(entry, path, map, fallback)
  if type(entry) == "table" and type(entry[1]) == "string" then
    return { path = path, line = line_of(map, entry[1], fallback) }
  end
  return { path = path, line = fallback }
end

-- Raw spec of a workflow file: { fields..., states = {entries}, transitions = {entries} }
-- where each entry is { entry = table, at = {path, line}, adapted = nil|"added"|"changed" }.
local function raw_from(spec, path, map)
  map.used = {}
  local line = lines[spec] or 1
  local raw = { at = { path = path, line = line }, fields = {}, states = {}, transitions = {},
                on_enter = {}, on_exit = {}, forms = {}, rules = {}, roles = {}, problems = {} }
  for k, v in pairs(spec) do
    if k ~= "states" and k ~= "transitions" and k ~= "roles" and k ~= "on_enter"
       and k ~= "on_exit" and k ~= "forms" and k ~= "rules" then raw.fields[k] = v end
  end
  for _, r in ipairs(list_of(spec.roles)) do
    raw.roles[#raw.roles + 1] = { name = r, at = { path = path, line = map.first[r] or line } }
  end
  for _, key in ipairs { "states", "transitions" } do
    local v = spec[key]
    if v ~= nil and type(v) ~= "table" then
      raw.problems[#raw.problems + 1] = { at = raw.at, msg = key .. " must be a list" }
    else
      for _, e in ipairs(v or {}) do
        raw[key][#raw[key] + 1] = { entry = e, at = place(e, path, map, line) }
      end
    end
  end
  for _, key in ipairs { "on_enter", "on_exit" } do
    local v = spec[key]
    if v ~= nil and type(v) ~= "table" then
      raw.problems[#raw.problems + 1] = { at = raw.at, msg = key .. " must be a table of state = function" }
    else
      for s, fn in pairs(v or {}) do raw[key][s] = { fn = fn, at = { path = path, line = map.first[s] or line } } end
    end
  end
  for _, key in ipairs { "forms", "rules" } do
    for _, f in ipairs(list_of(spec[key])) do raw[key][#raw[key] + 1] = { spec = f, path = path } end
  end
  return raw
end

local function entry_name(e) return type(e.entry) == "table" and e.entry[1] or nil end

local function find_entry(list, name)
  for i, e in ipairs(list) do if entry_name(e) == name then return i, e end end
end

-- Merge an adapt spec into a copy of its base's raw spec.
local function merge(base, spec, path, map)
  map.used = {}
  local line = lines[spec] or 1
  local here = { path = path, line = line }
  local raw = { at = here, fields = {}, states = {}, transitions = {}, on_enter = {},
                on_exit = {}, forms = {}, rules = {}, roles = {}, problems = {},
                base_name = spec.__base }
  for k, v in pairs(base.fields) do raw.fields[k] = v end
  for _, key in ipairs { "states", "transitions", "roles", "forms", "rules" } do
    for i, v in ipairs(base[key]) do raw[key][i] = v end
  end
  for _, key in ipairs { "on_enter", "on_exit" } do
    for k, v in pairs(base[key]) do raw[key][k] = v end
  end
  for _, p in ipairs(base.problems) do raw.problems[#raw.problems + 1] = p end
  local function problem(at, msg) raw.problems[#raw.problems + 1] = { at = at, msg = msg } end
  for k, v in pairs(spec) do
    if not ADAPT_FIELDS[k] then
      problem(here, fmt("unknown field %s in adapt %q (fields: name, title, description, roles, initial, states, transitions, remove, on_enter, on_exit, forms, rules)", k, spec.__base))
    elseif k == "name" or k == "title" or k == "description" or k == "initial" then
      raw.fields[k] = v
    end
  end
  raw.fields.name = spec.name
  for _, r in ipairs(list_of(spec.roles)) do
    local dup = false
    for _, have in ipairs(raw.roles) do if have.name == r then dup = true end end
    if not dup then raw.roles[#raw.roles + 1] = { name = r, at = { path = path, line = map.first[r] or line } } end
  end
  local remove = spec.remove or {}
  if type(remove) ~= "table" then problem(here, "remove must be { transitions = {...}, states = {...} }"); remove = {} end
  for k in pairs(remove) do
    if k ~= "states" and k ~= "transitions" then problem(here, fmt("remove: unknown field %s (use states or transitions)", k)) end
  end
  for _, key in ipairs { "transitions", "states" } do
    for _, name in ipairs(list_of(remove[key])) do
      local i = find_entry(raw[key], name)
      if i then
        table.remove(raw[key], i)
        if key == "states" then raw.on_enter[name], raw.on_exit[name] = nil, nil end
      else problem({ path = path, line = map.first[name] or line },
        fmt("remove: %s has no %s %s", spec.__base, key == "states" and "state" or "transition", q(name))) end
    end
  end
  for _, key in ipairs { "states", "transitions" } do
    for _, e in ipairs(list_of(spec[key])) do
      local at = place(e, path, map, line)
      local name = type(e) == "table" and e[1] or nil
      local i, old = nil, nil
      if name then i, old = find_entry(raw[key], name) end
      if old then
        local merged = {}
        for k, v in pairs(old.entry) do merged[k] = v end
        for k, v in pairs(e) do merged[k] = v end
        raw[key][i] = { entry = merged, at = at, adapted = "changed" }
      else
        local new = { entry = e, at = at, adapted = "added" }
        local pos = #raw[key] + 1
        if key == "states" and type(e) == "table" then
          if e.before ~= nil then
            local j = find_entry(raw.states, e.before)
            if j then pos = j else problem(at, fmt("state %s: before names unknown state %s", q(name), q(e.before))) end
          else
            for j, s in ipairs(raw.states) do
              if type(s.entry) == "table" and s.entry.final then pos = j; break end
            end
          end
        end
        insert(raw[key], pos, new)
      end
    end
  end
  for _, key in ipairs { "on_enter", "on_exit" } do
    local v = spec[key]
    if v ~= nil and type(v) ~= "table" then problem(here, key .. " must be a table of state = function")
    else
      for s, fn in pairs(v or {}) do raw[key][s] = { fn = fn, at = { path = path, line = map.first[s] or line }, adapted = true } end
    end
  end
  for _, key in ipairs { "forms", "rules" } do
    for _, f in ipairs(list_of(spec[key])) do raw[key][#raw[key] + 1] = { spec = f, path = path } end
  end
  return raw
end

-- A duration written with a minus sign ("-1d"): refused, as zero is (timer_problems).
local function negative(v)
  return type(v) == "string" and v:match("^%s*%-") ~= nil and host.duration((v:gsub("^%s*%-", ""))) ~= nil
end

-- Normalise a raw spec into a definition; problems go to the list `out`.
local function normalise(raw, out)
  local def = { name = raw.fields.name, title = raw.fields.title, description = raw.fields.description,
                initial = raw.fields.initial, at = raw.at, base_name = raw.base_name,
                roles = {}, role_set = {}, states = {}, state_by = {}, transitions = {},
                transition_by = {}, on_enter = {}, on_exit = {}, forms = {}, form_by = {},
                rules = {}, rule_by = {} }
  local function problem(at, msg, ...) out[#out + 1] = { at = at, msg = fmt(msg, ...) } end
  for _, p in ipairs(raw.problems) do out[#out + 1] = p end
  if not raw.base_name then
    for k in pairs(raw.fields) do
      if not WORKFLOW_FIELDS[k] then problem(raw.at, "unknown field %s in workflow (fields: name, title, description, roles, initial, states, transitions, on_enter, on_exit, forms, rules)", k) end
    end
  end
  if type(def.name) ~= "string" or def.name == "" then problem(raw.at, "workflow has no name (name = \"...\")")
  elseif not def.name:match("^[%a_][%w_%-]*$") then problem(raw.at, "workflow name %s: use letters, digits, _ and -", q(def.name)) end
  if def.title ~= nil and type(def.title) ~= "string" then problem(raw.at, "title must be text") end
  for _, r in ipairs(raw.roles) do
    if type(r.name) ~= "string" then problem(r.at, "roles must be names (text)")
    elseif def.role_set[r.name] then problem(r.at, "duplicate role %s", q(r.name))
    else def.role_set[r.name] = true; def.roles[#def.roles + 1] = r.name end
  end
  if #def.roles == 0 then problem(raw.at, "workflow %s has no roles (roles = { \"caseworker\", ... })", tostring(def.name)) end
  -- states
  for _, e in ipairs(raw.states) do
    local s, at = e.entry, e.at
    if type(s) ~= "table" or type(s[1]) ~= "string" then
      problem(at, "each state is { \"name\", title = ... }")
    else
      local st = { name = s[1], title = s.title or s[1], description = s.description,
                   forms = list_of(s.forms), review = s.review, final = s.final == true,
                   outcome = s.outcome, at = at, adapted = e.adapted }
      for k in pairs(s) do
        if k ~= 1 and not STATE_FIELDS[k] then problem(at, "state %s: unknown field %s", q(st.name), tostring(k)) end
      end
      if s[2] ~= nil then problem(at, "state %s: unexpected second value (fields need names: title = ...)", q(st.name)) end
      if s.review ~= nil then
        if negative(s.review) then
          problem(at, "state %s: review %s is negative: a review needs a duration longer than zero (e.g. \"28d\")", q(st.name), s.review)
        elseif type(s.review) ~= "string" or not host.duration(s.review) then
          problem(at, "state %s: review %s is not a duration (e.g. \"28d\", \"12h\", \"2w\")", q(st.name), tostring(s.review))
        elseif st.final then problem(at, "state %s: a final state cannot have a review", q(st.name)) end
      end
      if s.final ~= nil and type(s.final) ~= "boolean" then problem(at, "state %s: final must be true or false", q(st.name)) end
      if s.outcome ~= nil and type(s.outcome) ~= "string" then problem(at, "state %s: outcome must be text", q(st.name)) end
      if s.outcome ~= nil and not st.final then problem(at, "state %s: only a final state has an outcome", q(st.name)) end
      for _, f in ipairs(st.forms) do
        if type(f) ~= "string" then problem(at, "state %s: forms must be form names", q(st.name)) end
      end
      if def.state_by[st.name] then problem(at, "duplicate state %s", q(st.name))
      else def.state_by[st.name] = st; def.states[#def.states + 1] = st end
    end
  end
  if #def.states == 0 then problem(raw.at, "workflow %s has no states", tostring(def.name)) end
  if def.initial == nil then problem(raw.at, "workflow %s has no initial state (initial = \"...\")", tostring(def.name))
  elseif not def.state_by[def.initial] then problem(raw.at, "initial state %s is not one of the states", q(def.initial))
  elseif def.state_by[def.initial].final then problem(raw.at, "initial state %s is final", q(def.initial)) end
  -- transitions
  for _, e in ipairs(raw.transitions) do
    local t, at = e.entry, e.at
    if type(t) ~= "table" or type(t[1]) ~= "string" then
      problem(at, "each transition is { \"name\", from = ..., to = ... }")
    else
      local tr = { name = t[1], title = t.title, description = t.description, to = t.to,
                   after = t.after, reason = t.reason == true, action = t.action, at = at,
                   adapted = e.adapted, requires = list_of(t.requires), when = {} }
      local label = "transition " .. q(tr.name)
      for k in pairs(t) do
        if k ~= 1 and not TRANSITION_FIELDS[k] then problem(at, "%s: unknown field %s", label, tostring(k)) end
      end
      if t[2] ~= nil then problem(at, "%s: unexpected second value (fields need names: from = ..., to = ...)", label) end
      if t.from == "*" then tr.from_all = true; tr.from = {}
      elseif t.from == nil then problem(at, "%s has no from (a state, a list of states, or \"*\")", label); tr.from = {}
      else tr.from = list_of(t.from) end
      for _, s in ipairs(tr.from) do
        if s == "*" then problem(at, "%s: \"*\" cannot be in a list; write from = \"*\"", label)
        elseif not def.state_by[s] then problem(at, "%s names unknown state %s in from", label, q(s))
        elseif def.state_by[s].final then problem(at, "%s leaves final state %s (nothing leaves a final state)", label, q(s)) end
      end
      if tr.to == nil then problem(at, "%s has no to", label)
      elseif not def.state_by[tr.to] then problem(at, "%s names unknown state %s", label, q(tr.to)) end
      if t.by ~= nil then
        tr.by = list_of(t.by)
        for _, r in ipairs(tr.by) do
          if not def.role_set[r] then problem(at, "%s names unknown role %s in by (roles: %s)", label, q(r), names(def.roles)) end
        end
      end
      if negative(t.after) then
        problem(at, "%s: after %s is negative: a timer needs a duration longer than zero (e.g. \"90d\")", label, t.after)
      elseif t.after ~= nil and (type(t.after) ~= "string" or not host.duration(t.after)) then
        problem(at, "%s: after %s is not a duration (e.g. \"90d\")", label, tostring(t.after))
      end
      if t.reason ~= nil and type(t.reason) ~= "boolean" then problem(at, "%s: reason must be true or false", label) end
      if t.action ~= nil and type(t.action) ~= "function" then problem(at, "%s: action must be a function(case)", label) end
      for _, f in ipairs(tr.requires) do
        if type(f) ~= "string" then problem(at, "%s: requires lists form names", label) end
      end
      for i, g in ipairs(list_of(t.when)) do
        if type(g) == "string" then tr.when[i] = { rule = g }
        elseif type(g) == "function" then
          local p, l = host.fninfo(g)
          tr.when[i] = { fn = g, where = p .. ":" .. l }
        else problem(at, "%s: guard %d is a %s, neither a rule name nor a function", label, i, type(g)) end
      end
      if def.transition_by[tr.name] then problem(at, "duplicate transition %s", q(tr.name))
      else def.transition_by[tr.name] = tr; def.transitions[#def.transitions + 1] = tr end
    end
  end
  for _, key in ipairs { "on_enter", "on_exit" } do
    for s, h in pairs(raw[key]) do
      if not def.state_by[s] then problem(h.at, "%s names unknown state %s", key, q(s))
      elseif type(h.fn) ~= "function" then problem(h.at, "%s.%s must be a function(case)", key, tostring(s))
      else def[key][s] = h.fn end
    end
  end
  for _, f in ipairs(raw.forms) do
    if type(f.spec) ~= "table" or kinds[f.spec] ~= "form" then problem(raw.at, "forms must be a list of form { ... }")
    else local name = f.spec.name; def.form_by[name] = f; def.forms[#def.forms + 1] = name end
  end
  for _, r in ipairs(raw.rules) do
    if type(r.spec) ~= "table" or kinds[r.spec] ~= "rule" then problem(raw.at, "rules must be a list of rule { ... }")
    else def.rule_by[r.spec.name] = r; def.rules[#def.rules + 1] = r.spec.name end
  end
  return def
end

-- The states a transition can fire from.
local function from_states(def, t)
  if t.from_all then
    local out = {}
    for _, s in ipairs(def.states) do if not s.final then out[#out + 1] = s.name end end
    return out
  end
  return t.from
end

local function fires_from(t, state, def)
  if t.from_all then return not def.state_by[state].final end
  for _, s in ipairs(t.from) do if s == state then return true end end
  return false
end

---------------------------------------------------------------------------------------
-- Plugins (Lua folders): their forms and rules

local plugins, plugin_forms, plugin_rules, plugin_problems

local function plugin_dirs()
  local dirs, seen = {}, {}
  local function add(d)
    if d and d ~= "" then
      local real = host.realpath(d)
      if real and not seen[real] then seen[real] = true; dirs[#dirs + 1] = d end
    end
  end
  add("plugins")
  for d in (host.getenv("KINFLOW_PLUGIN_PATH") or ""):gmatch("[^:]+") do add(d) end
  add(host.exe_dir() .. "/plugins")
  add(host.exe_dir() .. "/../share/kinflow/plugins")
  return dirs
end

function E.load_plugins()
  if plugins then return plugins end
  plugins, plugin_forms, plugin_rules, plugin_problems = {}, {}, {}, A()
  local function problem(msg) plugin_problems[#plugin_problems + 1] = msg end
  local function add(reg, kind, spec, path, p, source)
    local name = spec.name
    if type(name) ~= "string" then problem(path .. ":1: " .. kind .. " has no name"); return end
    local old = reg[name]
    if old then
      problem(fmt("%s: %s %s is added by both plugin %s (%s) and plugin %s; refusing the second",
        path, kind, q(name), q(old.plugin), old.path, q(p.name)))
      return
    end
    reg[name] = { spec = spec, path = path, plugin = p.name, source = source }
    p.adds[#p.adds + 1] = kind .. " " .. name
  end
  for _, dir in ipairs(plugin_dirs()) do
    for _, sub in ipairs(host.list_dir(dir) or {}) do
      local folder = dir .. "/" .. sub
      local ppath = folder .. "/plugin.lua"
      local src = host.read_file(ppath)
      if src then
        local spec, kind = E.load_file(ppath, src)
        if not spec then problem(kind)
        elseif kind ~= "plugin" then problem(ppath .. ":1: plugin.lua must return plugin { name = ..., version = ... }")
        else
          local p = { name = spec.name or sub, version = spec.version, description = spec.description,
                      path = folder, adds = A() }
          plugins[#plugins + 1] = p
          local function take(kind2, spec2, path2, src2)
            if kinds[spec2] ~= kind2 then problem(path2 .. ": expected " .. kind2 .. " { ... }")
            else add(kind2 == "form" and plugin_forms or plugin_rules, kind2, spec2, path2, p, src2) end
          end
          for _, f in ipairs(list_of(spec.forms)) do take("form", f, ppath, src) end
          for _, r in ipairs(list_of(spec.rules)) do take("rule", r, ppath) end
          p.so = {}
          for _, file in ipairs(host.list_dir(folder) or {}) do
            if file:sub(-3) == ".so" then p.so[#p.so + 1] = folder .. "/" .. file end
          end
          for _, kind2 in ipairs { "form", "rule" } do
            local d = folder .. "/" .. kind2 .. "s"
            for _, file in ipairs(host.list_dir(d) or {}) do
              if file:sub(-4) == ".lua" then
                local fpath = d .. "/" .. file
                local fsrc, ferr = host.read_file(fpath)
                local v, k = nil, ferr
                if fsrc then v, k = E.load_file(fpath, fsrc) end
                if not v then problem(k) else take(kind2, v, fpath, fsrc) end
              end
            end
          end
        end
      end
    end
  end
  -- C plugins last, so that a name a Lua plugin already adds is refused in C.
  local taken = {}
  for name in pairs(plugin_rules) do taken[#taken + 1] = name end
  for _, p in ipairs(plugins) do
    for _, so in ipairs(p.so) do
      local ok, err = host.load_c_plugin(so, p.path, taken)
      if not ok then problem(err) end
    end
  end
  return plugins
end

function E.load_plugins_count()
  return #E.load_plugins()
end

function E.plugins()
  E.load_plugins()
  local out = A()
  local c_by_dir = {}
  for _, c in ipairs(host.c_plugins()) do c_by_dir[c.path] = c end
  for i, p in ipairs(plugins) do
    local adds = A()
    for _, a in ipairs(p.adds) do adds[#adds + 1] = a end
    local c = c_by_dir[p.path]
    if c then for _, a in ipairs(c.adds) do adds[#adds + 1] = a end end
    out[i] = { name = p.name, version = p.version, description = p.description, path = p.path,
               adds = adds, library = c and c.library or nil }
  end
  return { plugins = out, problems = plugin_problems }
end

---------------------------------------------------------------------------------------
-- Rules and forms: inline in the workflow, deployed, or from a plugin (in that order)

-- The form or rule called `name` that a file declares: the file itself when it is that form
-- or rule (forms/*.lua, rules/*.lua), or the one of that name a plugin, workflow or
-- adaptation lists in its forms or rules. Returns spec, or nil, FILE:LINE: message.
function E.declared(kind, name, path, source)
  local spec, k = E.load_file(path, source)
  if not spec then return nil, k end
  if k == kind then
    if spec.name == name then return spec end
    return nil, fmt("%s:%d: this %s is named %s, not %s", path, lines[spec] or 1, kind, q(spec.name), q(name))
  end
  if k == "plugin" or k == "workflow" or k == "adapt" then
    for _, d in ipairs(list_of(spec[kind .. "s"])) do
      if type(d) == "table" and kinds[d] == kind and d.name == name then return d end
    end
    return nil, fmt("%s:%d: %s %s declares no %s %s", path, lines[spec] or 1,
      k == "adapt" and "adaptation" or k, q(spec.name), kind, q(name))
  end
  return nil, fmt("%s:1: expected a %s %s (the file returns %s { ... })", path, kind, q(name), k)
end

-- Every form or rule a file declares (itself, or those its plugin or workflow lists).
local function declarations(kind, spec, k)
  if k == kind then return { spec } end
  local out = {}
  if k == "plugin" or k == "workflow" or k == "adapt" then
    for _, d in ipairs(list_of(spec[kind .. "s"])) do
      if type(d) == "table" and kinds[d] == kind then out[#out + 1] = d end
    end
  end
  return out
end

local deployed_cache = bounded(500, 1 << 40)   -- definition id -> spec

local function deployed(kind, name)
  if not host.has_store() then return nil end
  local row = host.def(kind, name)
  if not row then return nil end
  local hit = deployed_cache.get(row.id)
  if not hit then
    local spec, k = E.declared(kind, name, row.path, row.source)
    if not spec then error(k, 0) end
    hit = { spec = spec, path = row.path, id = row.id, version = row.version }
    deployed_cache.put(row.id, hit)
  end
  return hit
end

function E.find_rule(name, def)
  if def and def.rule_by[name] then return def.rule_by[name] end
  local d = deployed("rule", name)
  if d then return d end
  E.load_plugins()
  if plugin_rules[name] then return plugin_rules[name] end
  local owner = host.c_rule_owner(name)
  if owner then
    return { spec = { name = name, check = function(case) return host.call_c_rule(name, E.case_json(case)) end },
             path = "plugin " .. owner, plugin = owner }
  end
end

function E.find_form(name, def)
  if def and def.form_by[name] then return def.form_by[name] end
  local d = deployed("form", name)
  if d then return d end
  E.load_plugins()
  return plugin_forms[name]
end

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

local FIELD_TYPES = set_of { "text", "number", "boolean", "date", "choice", "list" }
local FIELD_KEYS = set_of { "type", "label", "required", "sensitive", "help", "min", "max", "choices", "of" }

local function check_form_spec(spec, path, map, out)
  local at = { path = path, line = lines[spec] or 1 }
  local function problem(a, msg, ...) out[#out + 1] = { at = a, msg = fmt(msg, ...) } end
  if type(spec.name) ~= "string" then problem(at, "form has no name") end
  for k in pairs(spec) do
    if k ~= "name" and k ~= "title" and k ~= "description" and k ~= "fields" then
      problem(at, "form %s: unknown field %s", q(spec.name), tostring(k))
    end
  end
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
      if not FIELD_TYPES[ty] then problem(fat, "%s: unknown type %s (text, number, boolean, date, choice, list)", label, tostring(ty)) end
      if (ty == "choice" or (ty == "list" and f.of == "choice")) and (type(f.choices) ~= "table" or #f.choices == 0) then
        problem(fat, "%s: a choice needs choices = { ... }", label)
      end
      if ty == "list" and f.of ~= nil and not FIELD_TYPES[f.of] then problem(fat, "%s: unknown item type %s", label, tostring(f.of)) end
    end
  end
end

-- Resolve a workflow or adapt spec into a raw spec, finding bases in the batch, the
-- database, or beside the file. Returns raw, lineage (base_name, base_id) or nil, problem.
local function resolve(spec, path, map, batch, depth)
  if kinds[spec] == "workflow" then return raw_from(spec, path, map) end
  depth = (depth or 0) + 1
  if depth > 8 then return nil, fmt("%s:%d: adapt chain deeper than 8 (a cycle?)", path, lines[spec] or 1) end
  local name = spec.__base
  local base = batch and batch[name]
  local base_raw, base_id, err
  if base then
    base_raw, err = resolve(base.spec, base.path, base.map, batch, depth)
  else
    local row = host.has_store() and host.def("workflow", name)
    if row then
      base_raw, err = E.raw_version(row.id, depth)
      base_id = row.id
    else
      local dir = path:match("^(.*)/[^/]*$") or "."
      local bpath = dir .. "/" .. name .. ".lua"
      local src = host.read_file(bpath)
      if not src then
        return nil, fmt("%s:%d: adapt: base programme %s is neither deployed nor in %s", path,
          lines[spec] or 1, q(name), bpath)
      end
      local bspec, bkind, bmap = E.load_file(bpath, src)
      if not bspec then return nil, bkind end
      if bkind ~= "workflow" and bkind ~= "adapt" then return nil, fmt("%s:1: %s is not a workflow", bpath, bpath) end
      base_raw, err = resolve(bspec, bpath, bmap, batch, depth)
    end
  end
  if not base_raw then return nil, err end
  local raw = merge(base_raw, spec, path, map)
  raw.base_id = base_id
  return raw
end

-- The raw spec of a deployed version, from its stored source (and its base's, pinned).
function E.raw_version(id, depth)
  local row = host.def(id)
  if not row then return nil, fmt("workflow version %d is missing", id) end
  local spec, kind, map = E.load_file(row.path, row.source)
  if not spec then return nil, kind end
  if kind == "workflow" then return raw_from(spec, row.path, map) end
  if not row.base_id then return nil, row.path .. ": adaptation stored without its base" end
  local base_raw, err = E.raw_version(row.base_id, (depth or 0) + 1)
  if not base_raw then return nil, err end
  local raw = merge(base_raw, spec, row.path, map)
  raw.base_id = row.base_id
  return raw
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
  local n = 0
  for text in (source .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    for _, d in ipairs(schedule_literals((text:gsub("%-%-.*$", "")))) do
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
                base = def.base_name }
  for i, s in ipairs(def.states) do
    out.states[i] = { name = s.name, title = s.title, description = s.description, forms = copy_list(s.forms),
                      review = s.review, final = s.final, outcome = s.outcome, adapted = s.adapted,
                      line = s.at.line, file = s.at.path }
  end
  for i, t in ipairs(def.transitions) do
    local when = A()
    for j, g in ipairs(t.when) do when[j] = g.rule or ("function at " .. g.where) end
    out.transitions[i] = { name = t.name, title = t.title, description = t.description,
                           from = t.from_all and "*" or copy_list(t.from), to = t.to,
                           by = t.by and copy_list(t.by) or nil,
                           requires = copy_list(t.requires), when = when, after = t.after,
                           reason = t.reason, action = t.action ~= nil, adapted = t.adapted,
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
      res.definition = { name = item.spec.name, title = item.spec.title, fields = item.spec.fields }
    elseif item.kind == "scenarios" then
      local ok, serr = pcall(E.parse_scenarios, item.spec, item.path, item.map, batch)
      if not ok then out[#out + 1] = { at = { path = item.path, line = lines[item.spec] or 1 }, msg = tostring(serr) } end
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
  return { files = results, messages = messages, plugin_problems = plugin_problems }
end

---------------------------------------------------------------------------------------
-- Versions at run time

local versions = bounded(500, 1 << 40)   -- id -> def

function E.version(id)
  local def = versions.get(id)
  if def then return def end
  local raw, err = E.raw_version(id)
  if not raw then error(err, 0) end
  local problems = {}
  def = normalise(raw, problems)
  if #problems > 0 then
    local p = problems[1]
    error(fmt("%s:%d: %s", p.at.path, p.at.line, p.msg), 0)
  end
  def.id = id
  versions.put(id, def)
  return def
end

---------------------------------------------------------------------------------------
-- The case object that workflow code sees

local internal = setmetatable({}, { __mode = "k" })
local methods = {}

local function self_of(c, what)
  local s = internal[c]
  if not s then error(what .. ": call it as case:" .. what .. "(...)", 3) end
  return s
end

function methods.members(c, role)
  local s = self_of(c, "members")
  if not s.id then return {} end
  local out = {}
  for i, m in ipairs(host.members(s.id, role)) do
    out[i] = { role = m.role, name = m.name, data = m.data or {} }
  end
  return out
end

function methods.entries(c, form)
  local s = self_of(c, "entries")
  if type(form) ~= "string" then error("entries: give a form name", 2) end
  if not s.id then return {} end
  local out = {}
  for i, e in ipairs(host.entries(s.id, form)) do
    out[i] = { id = e.id, form = e.form, data = e.data or {}, at = e.at, actor = e.actor, version = e.form_version }
  end
  return out
end

function methods.latest(c, form)
  local list = methods.entries(c, form)
  local last = list[#list]
  return last and last.data or nil
end

function methods.schedule(c, name, after)
  local s = self_of(c, "schedule")
  if not s.effects then error("schedule: a guard cannot schedule timers (use an action)", 2) end
  if type(name) ~= "string" then error("schedule: give the timer a name", 2) end
  local secs = type(after) == "string" and host.duration(after)
  if negative(after) or secs == 0 then
    error(fmt("schedule: after %s is %s: a timer needs a duration longer than zero (e.g. \"14d\")", after,
      secs == 0 and "zero" or "negative"), 2)
  end
  if not secs then error(fmt("schedule: %s is not a duration (e.g. \"14d\")", tostring(after)), 2) end
  s.effects.schedules[#s.effects.schedules + 1] = { name = name, due = host.iso(host.parse_time(host.now()) + secs) }
end

function methods.cancel(c, name)
  local s = self_of(c, "cancel")
  if not s.effects then error("cancel: a guard cannot cancel timers (use an action)", 2) end
  if type(name) ~= "string" then error("cancel: give the timer's name", 2) end
  s.effects.cancels[#s.effects.cancels + 1] = name
end

function methods.emit(c, kind, t)
  local s = self_of(c, "emit")
  if not s.effects then error("emit: a guard cannot record events (use an action)", 2) end
  if type(kind) ~= "string" or not kind:match("^[%w_%.%-]+$") then error("emit: give an event kind (letters, digits, _ . -)", 2) end
  if t ~= nil and type(t) ~= "table" then error("emit: the event's data must be a table", 2) end
  s.effects.emits[#s.effects.emits + 1] = { kind = kind, data = t or {} }
end

local case_mt = { __index = methods, __metatable = false }

-- What a C rule or action sees of a case.
function E.case_json(c)
  if type(c) ~= "table" then error("expected a case", 3) end
  return { id = rawget(c, "id"), ref = rawget(c, "ref"), workflow = rawget(c, "workflow"),
           state = rawget(c, "state"), data = rawget(c, "data") }
end

local function make_case(c, effects)
  local obj = setmetatable({ id = c.id, ref = c.ref, state = c.state, workflow = c.workflow,
                             data = type(c.data) == "table" and c.data or {} }, case_mt)
  internal[obj] = { id = c.id, effects = effects }
  return obj
end

---------------------------------------------------------------------------------------
-- The kf API for workflow code

local function parse_date(d)
  if type(d) ~= "string" then return nil end
  return host.parse_time(d)
end

local kf = {}
function kf.now() return host.now() end
function kf.today() return host.now():sub(1, 10) end
function kf.days_between(a, b)
  local ta, tb = parse_date(a), parse_date(b or kf.today())
  if not ta or not tb then return nil end
  return (tb - ta) // 86400
end
function kf.age(dob, on)
  if type(dob) ~= "string" then return nil end
  local y, m, d = dob:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y or not parse_date(dob) then return nil end
  local ty, tm, td = (on or kf.today()):match("^(%d%d%d%d)%-(%d%d)%-(%d%d)")
  if not ty then return nil end
  local age = tonumber(ty) - tonumber(y)
  if tonumber(tm) < tonumber(m) or (tonumber(tm) == tonumber(m) and tonumber(td) < tonumber(d)) then age = age - 1 end
  return age
end
function kf.duration(s) return host.duration(s) end
E.current_def = nil
kf.rules = setmetatable({}, {
  __index = function(_, name)
    local r = E.find_rule(name, E.current_def)
    if not r then error("kf.rules: no rule " .. q(name), 2) end
    return function(case)
      return r.spec.check(case)
    end
  end,
  __newindex = function() error("kf.rules is read-only", 2) end,
  __metatable = false,
})
kf.actions = setmetatable({}, {
  __index = function(_, name)
    E.load_plugins()
    if not host.c_action_owner(name) then error("kf.actions: no action " .. q(name) .. " (see `kinflow plugins`)", 2) end
    return function(case, args)
      local changes = host.call_c_action(name, E.case_json(case), args)
      if changes and type(case) == "table" and type(rawget(case, "data")) == "table" then
        for k, v in pairs(changes) do case.data[k] = v end
      end
      return changes
    end
  end,
  __newindex = function() error("kf.actions is read-only", 2) end,
  __metatable = false,
})
E.kf = E.readonly(kf, "table 'kf'")

---------------------------------------------------------------------------------------
-- Firing

local function guard_result(ok, a, b, label, path)
  if not ok then return false, fmt("%s failed: %s", label, E.errtext(a, path or label)) end
  if a then return true end
  if type(b) == "string" and b ~= "" then return false, (b:gsub("[\r\n]+", " ")) end
  if type(b) == "number" then return false, tostring(b) end
  return false, label .. " is not met"
end

local function guard_label(g) return g.rule and ("rule " .. q(g.rule)) or ("guard at " .. g.where) end

local guard_copy
local function deep_copy(v, depth)
  if type(v) ~= "table" or depth > 64 then return v end
  local c = {}
  for k, x in next, v do c[k] = deep_copy(x, depth + 1) end
  return c
end

-- The case as a guard sees it: its own copy of the data.
guard_copy = function(c)
  local g = {}
  for k, v in pairs(c) do g[k] = v end
  g.data = deep_copy(c.data, 0)
  return g
end

-- A refusal as data: { code, params, text }. The text is the practitioner's sentence; the
-- console reads code and params, never the sentence. Codes: by_time, role, form_missing,
-- reason_required, guard (unmet), and state, final (E.fire from the wrong state).
local function refusal(code, params, text) return { code = code, params = params, text = text } end

-- Every unmet condition of t for this case and role, as refusals (see refusal above).
local function unmet(def, c, t, role, opts)
  local out = A()
  local function add(code, params, text) out[#out + 1] = refusal(code, params, text) end
  if opts.timer then
    -- time fires it: roles do not apply
  elseif not t.by and t.after then
    add("by_time", { transition = t.name, after = t.after },
      fmt("%s is fired by time only (after %s)", q(t.name), t.after))
  elseif role == nil then
    -- any role: listing moves without --as
  elseif t.by then
    local allowed = false
    for _, r in ipairs(t.by) do if r == role then allowed = true end end
    if not allowed then
      local by = A()
      for i, r in ipairs(t.by) do by[i] = r end
      add("role", { role = role, transition = t.name, by = by },
        fmt("role %s may not fire %s (by: %s)", q(role), q(t.name), names(t.by)))
    end
  end
  for _, f in ipairs(t.requires) do
    if c.id == nil or #host.entries(c.id, f) == 0 then
      add("form_missing", { form = f }, fmt("requires form %s (no valid entry)", q(f)))
    end
  end
  if t.reason and not opts.moves and (type(opts.reason) ~= "string" or opts.reason:match("^%s*$")) then
    add("reason_required", { transition = t.name }, fmt("%s needs a reason (--reason)", q(t.name)))
  end
  E.current_def = def
  for _, g in ipairs(t.when) do
    local view = make_case(guard_copy(c), nil)   -- a guard sees the case, never changes it
    local ok, why
    if g.rule then
      local r = E.find_rule(g.rule, def)
      if not r then ok, why = false, fmt("rule %s is not defined", q(g.rule))
      else
        host.at(r.path)
        local p, a, b = pcall(r.spec.check, view)
        ok, why = guard_result(p, a, b, guard_label(g), r.path)
      end
    else
      local path = g.where:match("^(.*):%d+$")
      host.at(path)
      local p, a, b = pcall(g.fn, view)
      ok, why = guard_result(p, a, b, guard_label(g), path)
    end
    if not ok then
      add("guard", { transition = t.name, rule = g.rule, where = g.where, reason = why }, why)
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

-- Timers that start when a case enters `state` at `now` (seconds).
local function timers_for(def, state, now)
  local out = A()
  local st = def.state_by[state]
  if st.final then return out end
  for _, t in ipairs(def.transitions) do
    if t.after and fires_from(t, state, def) then
      out[#out + 1] = { name = t.name, kind = "after", state = state, due = host.iso(now + host.duration(t.after)) }
    end
  end
  if st.review then
    out[#out + 1] = { name = "review", kind = "review", state = state, due = host.iso(now + host.duration(st.review)) }
  end
  return out
end

local function effects() return { schedules = A(), cancels = A(), emits = A() } end

local function run_action(fn, obj, path_hint)
  if fn then
    local p = host.fninfo(fn)
    host.at(p or path_hint)
    fn(obj)
  end
end

-- open(case): a new case (already stored at its initial state) enters it.
function E.open(c)
  local def = E.version(c.workflow_id)
  E.current_def = def
  local eff = effects()
  local obj = make_case(c, eff)
  run_action(def.on_enter[c.state], obj)
  return { state = c.state, data = rawget(obj, "data") or {}, timers = timers_for(def, c.state, host.parse_time(host.now())),
           schedules = eff.schedules, cancels = eff.cancels, emits = eff.emits }
end

function E.initial(workflow_id)
  local def = E.version(workflow_id)
  return { state = def.initial, final = def.state_by[def.initial].final }
end

-- fire(case, transition, role, opts{reason, timer}): what firing does, or nil, code, msg.
function E.fire(c, name, role, opts)
  opts = opts or {}
  local def = E.version(c.workflow_id)
  local t = def.transition_by[name]
  local label = fmt("case %s", tostring(c.id))
  if not t then
    return nil, "notfound", fmt("%s: workflow %s has no transition %s (transitions: %s)", label, q(def.name), q(name), names(def.transitions))
  end
  local okr, code, why = check_role(def, role)
  if not okr then return nil, code, label .. ": " .. why end
  local cur = def.state_by[c.state]
  if not cur then return nil, "invalid", fmt("%s is in state %s, which its workflow no longer has", label, q(c.state)) end
  if cur.final then
    local text = fmt("the case is in final state %s; nothing leaves a final state", q(c.state))
    return nil, "refused", fmt("%s: cannot fire %s: %s", label, q(name), text),
      A { refusal("final", { transition = name, state = c.state }, text) }
  end
  if not fires_from(t, c.state, def) then
    local from = A()
    for i, s in ipairs(from_states(def, t)) do from[i] = s end
    local text = fmt("case is in %s; %s fires from %s", q(c.state), q(name), names(from))
    return nil, "refused", fmt("%s: cannot fire %s: %s", label, q(name), text),
      A { refusal("state", { transition = name, state = c.state, from = from }, text) }
  end
  local refusals = unmet(def, c, t, role, opts)
  if #refusals > 0 then
    return nil, "refused", fmt("%s: cannot fire %s: %s", label, q(name), concat(texts(refusals), "; ")), refusals
  end
  local eff = effects()
  local obj = make_case(c, eff)
  E.current_def = def
  run_action(def.on_exit[c.state], obj, def.at.path)
  run_action(t.action, obj, def.at.path)
  local to = def.state_by[t.to]
  rawset(obj, "state", t.to)
  run_action(def.on_enter[t.to], obj, def.at.path)
  return { from = c.state, to = t.to, final = to.final, outcome = to.outcome, title = to.title,
           data = rawget(obj, "data") or {}, timers = timers_for(def, t.to, host.parse_time(host.now())),
           schedules = eff.schedules, cancels = eff.cancels, emits = eff.emits }
end

-- moves(case, role): every transition from the case's state, available or blocked.
function E.moves(c, role)
  local def = E.version(c.workflow_id)
  local okr, code, why = check_role(def, role)
  if not okr then return nil, code, fmt("case %s: %s", tostring(c.id), why) end
  local out = A()
  if def.state_by[c.state] and def.state_by[c.state].final then return out end
  for _, t in ipairs(def.transitions) do
    if fires_from(t, c.state, def) then
      local refusals = unmet(def, c, t, role, { moves = true })
      out[#out + 1] = { name = t.name, title = t.title, to = t.to, to_title = def.state_by[t.to].title,
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

---------------------------------------------------------------------------------------
-- Forms

local function field_problem(f, v)
  local ty = f.type or "text"
  local function one(kind, x, choices)
    if kind == "text" then
      if type(x) ~= "string" then return "not text" end
    elseif kind == "number" then
      if type(x) ~= "number" then return "not a number" end
      if f.min and x < f.min then return fmt("must be at least %s", tostring(f.min)) end
      if f.max and x > f.max then return fmt("must be at most %s", tostring(f.max)) end
    elseif kind == "boolean" then
      if type(x) ~= "boolean" then return "not true or false" end
    elseif kind == "date" then
      if type(x) ~= "string" or #x ~= 10 or not parse_date(x) then return "not a date (YYYY-MM-DD)" end
    elseif kind == "choice" then
      local ok = false
      for _, c in ipairs(choices or {}) do if c == x then ok = true end end
      if not ok then return fmt("%s is not one of: %s", q(tostring(x)), concat(choices or {}, ", ")) end
    end
  end
  if ty == "list" then
    if type(v) ~= "table" or not is_array(v) then return "not a list" end
    for i, x in ipairs(v) do
      local p = one(f.of or "text", x, f.choices)
      if p then return fmt("item %d: %s", i, p) end
    end
    return nil
  end
  return one(ty, v, f.choices)
end

function E.validate(spec, data)
  local errors, known = {}, {}
  for _, f in ipairs(spec.fields or {}) do
    local name = f[1]
    known[name] = true
    local v = data[name]
    local empty = v == nil or v == "" or (type(v) == "table" and next(v) == nil and f.type == "list")
    if empty then
      if f.required then errors[#errors + 1] = name .. ": required" end
    else
      local p = field_problem(f, v)
      if p then errors[#errors + 1] = name .. ": " .. p end
    end
  end
  local extra = {}
  for k in pairs(data) do if not known[k] then extra[#extra + 1] = tostring(k) end end
  sort(extra)
  for _, k in ipairs(extra) do errors[#errors + 1] = k .. ": not a field of form " .. q(spec.name) end
  return errors
end

-- submit(case, form, data): check an entry. Returns { form_id, valid } or nil, code, msg.
function E.submit(c, name, data)
  local def = E.version(c.workflow_id)
  local f = E.find_form(name, def)
  if not f then
    local used = {}
    for _, s in ipairs(def.states) do for _, x in ipairs(s.forms) do used[x] = true end end
    for _, t in ipairs(def.transitions) do for _, x in ipairs(t.requires) do used[x] = true end end
    if used[name] then return { valid = true, checked = false } end
    local list = {}
    for k in pairs(used) do list[#list + 1] = k end
    sort(list)
    return nil, "notfound", fmt("case %s: no form %s is defined, and workflow %s does not use one (its forms: %s)",
      tostring(c.id), q(name), q(def.name), #list > 0 and concat(list, ", ") or "none")
  end
  local errors = E.validate(f.spec, type(data) == "table" and data or {})
  if #errors > 0 then
    return nil, "invalid", fmt("case %s: form %s refused: %s", tostring(c.id), q(name), concat(errors, "; "))
  end
  local sensitive = {}
  for _, fld in ipairs(f.spec.fields or {}) do if fld.sensitive then sensitive[#sensitive + 1] = fld[1] end end
  local out = { valid = true, checked = true, form_id = f.id, form_version = f.version, sensitive = sensitive }
  if not f.id and f.source then
    -- a plugin's (or workflow's) form: the runtime stores its version on first use
    out.version_of = { kind = "form", name = name, title = f.spec.title, path = f.path, source = f.source,
                       definition = { name = name, title = f.spec.title, fields = f.spec.fields } }
  end
  return out
end

function E.definition(id)
  return export(E.version(id))
end

---------------------------------------------------------------------------------------
-- Scenario files (kinflow test)

local STEP_ACTIONS = { "fire", "submit", "member", "set", "advance", "review", "expect" }
local STEP_KEYS = set_of { "fire", "as", "actor", "reason", "refused", "submit", "data", "member",
  "name", "set", "advance", "review", "note", "expect" }
local EXPECT_KEYS = set_of { "state", "final", "overdue", "data", "as", "moves", "blocked" }
local SCENARIO_KEYS = set_of { "now", "data", "ref", "steps" }

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
        fail(line, "scenario %s step %d needs exactly one of fire, submit, member, set, advance, review, expect", label, j)
      end
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

---------------------------------------------------------------------------------------
-- Diagrams (Graphviz DOT)

local function dot_str(s) return '"' .. tostring(s):gsub('[\\"]', "\\%0"):gsub("\n", "\\n") .. '"' end

function E.diagram(what)
  local def
  if what:sub(-4) == ".lua" then
    local res = E.check({ { path = what, source = assert(host.read_file(what)) } })
    if #res.messages > 0 then
      local m = res.messages[1]
      return nil, "invalid", fmt("%s:%d: %s", m.path, m.line, m.msg)
    end
    local f = res.files[#res.files]
    if f.kind ~= "workflow" then return nil, "invalid", what .. " is not a workflow" end
    def = f.definition
  else
    local row = host.has_store() and host.def("workflow", what)
    if not row then return nil, "notfound", fmt("no workflow %s is deployed (give a name from `kinflow workflows`, or a file)", q(what)) end
    def = export(E.version(row.id))
  end
  local out = { fmt("digraph %s {", dot_str(def.name)),
    "  rankdir=LR;",
    fmt("  label=%s; labelloc=t; fontname=\"Helvetica\";", dot_str((def.title or def.name) .. (def.base and (" (adapts " .. def.base .. ")") or ""))),
    "  node [shape=box, style=rounded, fontname=\"Helvetica\"];",
    "  edge [fontname=\"Helvetica\", fontsize=10];" }
  for _, s in ipairs(def.states) do
    local attrs = { "label=" .. dot_str(s.title ~= s.name and (s.title .. "\n(" .. s.name .. ")") or s.name) }
    if s.final then attrs[#attrs + 1] = "peripheries=2" end
    if s.name == def.initial then attrs[#attrs + 1] = "penwidth=2" end
    if s.adapted then attrs[#attrs + 1] = "color=blue, fontcolor=blue" end
    out[#out + 1] = fmt("  %s [%s];", dot_str(s.name), concat(attrs, ", "))
  end
  for _, t in ipairs(def.transitions) do
    local froms = t.from
    if froms == "*" then
      froms = {}
      for _, s in ipairs(def.states) do if not s.final then froms[#froms + 1] = s.name end end
    end
    local label = t.name
    if t.by then label = label .. "\n(" .. concat(t.by, ", ") .. ")" end
    if t.after then label = label .. "\nafter " .. t.after end
    local attrs = { "label=" .. dot_str(label) }
    if t.after and not t.by then attrs[#attrs + 1] = "style=dashed" end
    if t.from == "*" then attrs[#attrs + 1] = "style=dotted" end
    if t.adapted then attrs[#attrs + 1] = "color=blue, fontcolor=blue" end
    for _, f in ipairs(froms) do
      out[#out + 1] = fmt("  %s -> %s [%s];", dot_str(f), dot_str(t.to), concat(attrs, ", "))
    end
  end
  out[#out + 1] = "}"
  return concat(out, "\n") .. "\n"
end

---------------------------------------------------------------------------------------
-- Rule impact: what a changed rule would change in every open case (writes nothing)

-- One rule's impact: every open case judged by the rule in force and by `spec`.
local function impact_of(spec, path, cases)
  local name = spec.name
  local function eval(check, c)
    host.at(path)
    local p, a, b = pcall(check, make_case(c, nil))
    local ok, why = guard_result(p, a, b, "rule " .. q(name))
    return { ok = ok, reason = why }
  end
  local changed, evaluated, shadowed, reworded = A(), 0, 0, 0
  for _, c in ipairs(cases) do
    local def = E.version(c.workflow_id)
    if def.rule_by[name] then
      shadowed = shadowed + 1        -- the workflow carries its own rule of that name
    else
      E.current_def = def
      local cur = E.find_rule(name, def)
      local before = cur and eval(cur.spec.check, c) or { ok = false, reason = "rule " .. q(name) .. " is not defined" }
      local after = eval(spec.check, c)
      evaluated = evaluated + 1
      if before.ok == after.ok and before.reason ~= after.reason then
        reworded = reworded + 1
      elseif before.ok ~= after.ok then
        local used = A()
        for _, t in ipairs(def.transitions) do
          for _, g in ipairs(t.when) do
            if g.rule == name and fires_from(t, c.state, def) then used[#used + 1] = t.name end
          end
        end
        changed[#changed + 1] = { case = c.id, ref = c.ref, workflow = c.workflow, state = c.state, rule = name,
                                  before = before, after = after, transitions = used }
      end
    end
  end
  return { rule = name, evaluated = evaluated, unaffected = shadowed, changed = changed,
           reworded = reworded }
end

-- rule_impact(path, source, cases): the file is a rule, or a plugin (or workflow) that
-- declares rules. One rule: { rule, evaluated, unaffected, changed, reworded }. Several:
-- the same fields summed (rule = their names), and rules = { one result per rule }.
function E.rule_impact(path, source, cases)
  local spec, kind, map = E.load_file(path, source)
  if not spec then return nil, "invalid", kind end
  local list = declarations("rule", spec, kind)
  if #list == 0 then
    return nil, "invalid", fmt("%s: not a rule file (it returns %s { ... }%s)", path, kind,
      (kind == "plugin" or kind == "workflow" or kind == "adapt") and " and declares no rules" or "")
  end
  local problems = {}
  for _, r in ipairs(list) do check_rule_spec(r, path, map, problems) end
  if #problems > 0 then
    return nil, "invalid", fmt("%s:%d: %s", problems[1].at.path, problems[1].at.line, problems[1].msg)
  end
  if #list == 1 then return impact_of(list[1], path, cases) end
  local all = { rule = names(list), evaluated = 0, unaffected = 0, changed = A(), reworded = 0, rules = A() }
  for i, r in ipairs(list) do
    local one = impact_of(r, path, cases)
    all.rules[i] = one
    all.evaluated = all.evaluated + one.evaluated
    all.unaffected = all.unaffected + one.unaffected
    all.reworded = all.reworded + one.reworded
    for _, c in ipairs(one.changed) do all.changed[#all.changed + 1] = c end
  end
  return all
end

-- Where rule `name` comes from now: deployed version, plugin, or nothing.
function E.rule_source(name)
  local d = deployed("rule", name)
  if d then return { source = "deployed", version = d.version, path = d.path } end
  E.load_plugins()
  if plugin_rules[name] then return { source = "plugin", plugin = plugin_rules[name].plugin, path = plugin_rules[name].path } end
  local owner = host.c_rule_owner(name)
  if owner then return { source = "plugin", plugin = owner } end
  return { source = "none" }
end

---------------------------------------------------------------------------------------
-- What the console asks of forms and rules

-- A form's schema as plain data: { name, title, description, version, fields = { {name, type, ...} } }.
function E.form_schema(name, workflow_id)
  local def = workflow_id and E.version(workflow_id) or nil
  local f = E.find_form(name, def)
  if not f then return nil, "notfound", fmt("no form %s is defined", q(name)) end
  local fields = {}
  for i, fld in ipairs(f.spec.fields or {}) do
    local out = { name = fld[1] }
    for k, v in pairs(fld) do if k ~= 1 then out[k] = v end end
    out.type = out.type or "text"
    fields[i] = out
  end
  return { name = name, title = f.spec.title or name, description = f.spec.description,
           version = f.version, plugin = f.plugin, fields = fields }
end

-- Names of the sensitive fields of each form a case's entries use: { form = {field, ...} }.
function E.sensitive_fields(workflow_id, forms)
  local def = E.version(workflow_id)
  local out = {}
  for _, name in ipairs(forms) do
    local f = E.find_form(name, def)
    local list = {}
    for _, fld in ipairs(f and f.spec.fields or {}) do
      if fld.sensitive then list[#list + 1] = fld[1] end
    end
    out[name] = list
  end
  return out
end

-- Every rule a guard can name: from plugins (Lua and C) and deployed versions.
function E.rules_list(deployed_names)
  E.load_plugins()
  local names_set = {}
  for name in pairs(plugin_rules) do names_set[name] = true end
  for _, c in ipairs(host.c_plugins()) do
    for _, a in ipairs(c.adds) do
      local r = a:match("^rule (.+)$")
      if r then names_set[r] = true end
    end
  end
  for _, n in ipairs(deployed_names or {}) do names_set[n] = true end
  local out = {}
  for name in pairs(names_set) do
    local r = E.find_rule(name, nil)
    -- the text of the rule in force, for an analyst to start a change from
    local row = host.has_store() and host.def("rule", name) or nil
    local pr = plugin_rules[name]
    out[#out + 1] = { name = name, description = r and r.spec.description or nil, in_force = E.rule_source(name),
                      plugin = pr and pr.plugin or nil,
                      source = row and row.source or (pr and pr.source) or nil,
                      path = row and row.path or (pr and pr.path) or nil }
  end
  sort(out, function(a, b) return a.name < b.name end)
  return out
end
