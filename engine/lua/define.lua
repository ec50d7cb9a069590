-- engine/lua/define.lua: definitions. A workflow or adaptation as written becomes a raw
-- spec (adaptations merged onto their base), then a normalised definition; versions stored
-- in the database are read back the same way (E.version). It runs no case and writes nothing.
local E = ...
local host, lib = E.host, E.lib
local kinds, lines = E.kinds, E.lines
local fmt, insert = string.format, table.insert
local q, list_of, set_of, names, line_of, bounded = lib.q, lib.list_of, lib.set_of, lib.names, lib.line_of, lib.bounded

-- A list the definition keeps (a transition's from, by and requires; a state's forms), as a
-- plain list the engine made: the workflow file's own table may carry metamethods (they run
-- here under the CPU budget, E.load_file having set its hook), and a transition reads these
-- lists before any of the file's code runs, when its hook is not set yet (luahost.c, arm).
local function plain_list(v)
  local out = {}
  for i, x in ipairs(list_of(v)) do out[i] = x end
  return out
end

---------------------------------------------------------------------------------------
-- Definitions: a raw spec (as written, adaptations merged) normalised into a def

local STATE_FIELDS = set_of { "title", "description", "forms", "review", "final", "outcome", "before",
  "ended_by" }
-- Who ended the work, as a final state says (report outcomes --by ended_by groups by it).
local ENDED_BY = { "family", "service", "goals_met", "entered_care", "returned_to_care", "other" }
local TRANSITION_FIELDS = set_of { "title", "description", "from", "to", "by", "requires", "when",
  "after", "reason", "action", "stay", "decision" }
local WORKFLOW_FIELDS = set_of { "name", "title", "description", "roles", "initial", "states",
  "transitions", "on_enter", "on_exit", "forms", "rules", "sensitive", "family_roles",
  "controlled", "settings" }
local ADAPT_FIELDS = set_of { "name", "title", "description", "roles", "initial", "states",
  "transitions", "on_enter", "on_exit", "forms", "rules", "sensitive", "remove", "__base",
  "family_roles", "controlled", "settings" }

---------------------------------------------------------------------------------------
-- Families: the member roles whose holders may have family accounts, and family forms

-- The engine's list, when a programme does not say (whether or not it lists them in roles).
local DEFAULT_FAMILY_ROLES = { "parent", "carer", "young_person", "care_leaver", "family" }
local FAMILY_ROLES_EXAMPLE = 'family_roles = { "parent", "carer" }'

-- A programme's family roles (a list of names): its own, its base's, or the engine's list.
function E.family_roles(def)
  return def.family_roles or DEFAULT_FAMILY_ROLES
end

-- A list of role names, or nil and what is wrong with it (example: how to write it).
local function role_list(v, what, example)
  if type(v) ~= "table" then return nil, fmt("%s must be a list of role names (text), not a %s: %s", what, type(v), example) end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  if n ~= #v or n == 0 then return nil, fmt("%s must be a list of one or more role names: %s", what, example) end
  local seen = {}
  for i, r in ipairs(v) do
    if type(r) ~= "string" or not r:match("^[%a_][%w_]*$") then
      return nil, fmt("%s: item %d is %s, not a role name (letters, digits and _): %s", what, i,
        type(r) == "string" and q(r) or "a " .. type(r), example)
    end
    if seen[r] then return nil, fmt("%s names %s twice", what, q(r)) end
    seen[r] = true
  end
  return v
end

-- Problems with a form's `family` and `by` (texts); family_roles (may be nil): the roles
-- a workflow's own form may name in by.
local function form_family_problems(spec, family_roles)
  local out, label = {}, "form " .. q(spec.name)
  if spec.family ~= nil and spec.family ~= true and spec.family ~= "read" then
    out[#out + 1] = fmt("%s: family must be true (family accounts fill it and see its entries) or \"read\" (they see its entries, staff fill it), not %s",
      label, type(spec.family) == "string" and q(spec.family) or tostring(spec.family))
  end
  if spec.by ~= nil then
    if spec.family ~= true then
      out[#out + 1] = fmt("%s: by names the family roles that fill a family form: give it only with family = true", label)
    else
      local roles, why = role_list(spec.by, label .. ": by", 'by = { "parent", "carer" }')
      if not roles then out[#out + 1] = why
      elseif family_roles then
        local ok = set_of(family_roles)
        for _, r in ipairs(roles) do
          if not ok[r] then
            out[#out + 1] = fmt("%s: by names %s, which is not a family role of the programme (family roles: %s)", label, q(r), names(family_roles))
          end
        end
      end
    end
  end
  return out
end
lib.form_family_problems = form_family_problems
lib.role_list = role_list
local SENSITIVE_EXAMPLE = 'sensitive = { data = { "key", ... }, members = { "key", ... } }'

-- The `sensitive` field as written in one file, with where it stands: { spec, at } or nil.
local function sensitive_from(spec, path, map, line)
  if spec.sensitive == nil then return nil end
  return { spec = spec.sensitive, at = { path = path, line = map.sensitive or line } }
end

-- A field of one file that adaptations add to (controlled, settings): { spec, at } or nil.
local function additive_from(spec, key, path, map, line)
  if spec[key] == nil then return nil end
  return { spec = spec[key], at = { path = path, line = map[key] or line } }
end

-- Each entry of a raw spec remembers the file and line it came from.
local function place(entry, path, map, fallback)
  if type(entry) == "table" and type(entry[1]) == "string" then
    return { path = path, line = line_of(map, entry[1], fallback) }
  end
  return { path = path, line = fallback }
end

-- A spec's on_enter/on_exit hooks and its forms and rules into raw (adapted: true when they
-- come from an adaptation); problem(msg) hears of hooks that are not a table.
local function add_hooks(raw, spec, path, map, line, adapted, problem)
  for _, key in ipairs { "on_enter", "on_exit" } do
    local v = spec[key]
    if v ~= nil and type(v) ~= "table" then problem(key .. " must be a table of state = function")
    else
      for s, fn in pairs(v or {}) do
        raw[key][s] = { fn = fn, at = { path = path, line = map.first[s] or line }, adapted = adapted }
      end
    end
  end
  for _, key in ipairs { "forms", "rules" } do
    for _, f in ipairs(list_of(spec[key])) do raw[key][#raw[key] + 1] = { spec = f, path = path } end
  end
end

-- Raw spec of a workflow file: { fields..., states = {entries}, transitions = {entries} }
-- where each entry is { entry = table, at = {path, line}, adapted = nil|"added"|"changed" }.
local function raw_from(spec, path, map)
  map.used = {}
  local line = lines[spec] or 1
  local raw = { at = { path = path, line = line }, fields = {}, states = {}, transitions = {},
                on_enter = {}, on_exit = {}, forms = {}, rules = {}, roles = {}, problems = {},
                sensitive = {}, controlled = {}, settings = {} }
  for k, v in pairs(spec) do
    if k ~= "states" and k ~= "transitions" and k ~= "roles" and k ~= "on_enter"
       and k ~= "on_exit" and k ~= "forms" and k ~= "rules" and k ~= "sensitive"
       and k ~= "controlled" and k ~= "settings" then raw.fields[k] = v end
  end
  raw.sensitive[1] = sensitive_from(spec, path, map, line)
  raw.controlled[1] = additive_from(spec, "controlled", path, map, line)
  raw.settings[1] = additive_from(spec, "settings", path, map, line)
  raw.family_roles_at = { path = path, line = map.family_roles or line }
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
  add_hooks(raw, spec, path, map, line, nil,
    function(msg) raw.problems[#raw.problems + 1] = { at = raw.at, msg = msg } end)
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
                sensitive = {}, controlled = {}, settings = {}, base_name = spec.__base,
                family_roles_at = base.family_roles_at }
  for k, v in pairs(base.fields) do raw.fields[k] = v end
  for _, key in ipairs { "states", "transitions", "roles", "forms", "rules", "sensitive", "controlled", "settings" } do
    for i, v in ipairs(base[key]) do raw[key][i] = v end
  end
  -- an adaptation may add sensitive keys, controlled keys and settings; its base's stay
  raw.sensitive[#raw.sensitive + 1] = sensitive_from(spec, path, map, line)
  raw.controlled[#raw.controlled + 1] = additive_from(spec, "controlled", path, map, line)
  raw.settings[#raw.settings + 1] = additive_from(spec, "settings", path, map, line)
  for _, key in ipairs { "on_enter", "on_exit" } do
    for k, v in pairs(base[key]) do raw[key][k] = v end
  end
  for _, p in ipairs(base.problems) do raw.problems[#raw.problems + 1] = p end
  local function problem(at, msg) raw.problems[#raw.problems + 1] = { at = at, msg = msg } end
  for k, v in pairs(spec) do
    if not ADAPT_FIELDS[k] then
      problem(here, fmt("unknown field %s in adapt %q (fields: name, title, description, roles, initial, states, transitions, remove, on_enter, on_exit, forms, rules, sensitive, controlled, settings)", k, spec.__base))
    elseif k == "name" or k == "title" or k == "description" or k == "initial" then
      raw.fields[k] = v
    elseif k == "family_roles" then -- an adaptation replaces its base's list
      raw.fields[k] = v
      raw.family_roles_at = { path = path, line = map.family_roles or line }
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
  add_hooks(raw, spec, path, map, line, true, function(msg) problem(here, msg) end)
  return raw
end

-- A duration written with a minus sign ("-1d"): refused, as zero is (timer_problems).
local function negative(v)
  return type(v) == "string" and #v < 64 and v:match("^%s*%-") ~= nil and host.duration((v:gsub("^%s*%-", ""))) ~= nil
end

-- A list of keys (text, at least one character), or nil and what is wrong with it.
local merge_controlled, merge_settings
local function key_list(v)
  if type(v) ~= "table" then return nil, "a " .. type(v) end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  if n ~= #v then return nil, "a table with names (write a list: { \"key\", ... })" end
  for i, k in ipairs(v) do
    if type(k) ~= "string" or k == "" then return nil, fmt("a list whose item %d is %s", i, type(k) == "string" and "empty text" or "a " .. type(k)) end
  end
  return v
end

-- The sensitive keys of every file in the lineage (base first), merged into
-- into = { data = {...}, members = {...} } without repeats.
local function merge_sensitive(list, into, problem)
  local seen = { data = {}, members = {} }
  for _, s in ipairs(list) do
    if type(s.spec) ~= "table" then
      problem(s.at, "sensitive must be a table: %s (it is a %s)", SENSITIVE_EXAMPLE, type(s.spec))
    else
      local fields = {}
      for k in pairs(s.spec) do fields[#fields + 1] = tostring(k) end
      table.sort(fields)
      for _, k in ipairs(fields) do
        if k ~= "data" and k ~= "members" then
          problem(s.at, "sensitive: unknown field %s (fields: data, members): %s", k, SENSITIVE_EXAMPLE)
        end
      end
      for _, key in ipairs { "data", "members" } do
        local v = s.spec[key]
        if v ~= nil then
          local keys, what = key_list(v)
          if not keys then
            problem(s.at, "sensitive.%s must be a list of keys (text), not %s: %s", key, what, SENSITIVE_EXAMPLE)
          else
            for _, k in ipairs(keys) do
              if not seen[key][k] then seen[key][k] = true; into[key][#into[key] + 1] = k end
            end
          end
        end
      end
    end
  end
end

local CONTROLLED_EXAMPLE = 'controlled = { "funding_allocation", ... }'

-- The controlled data keys of every file in the lineage (base first), into a list without
-- repeats: keys only the programme's forms and actions set (never `case set` or PATCH).
merge_controlled = function(list, into, problem)
  local seen = {}
  for _, c in ipairs(list) do
    local keys, what = key_list(c.spec)
    if not keys then
      problem(c.at, "controlled must be a list of data keys (text), not %s: %s", what, CONTROLLED_EXAMPLE)
    else
      for _, k in ipairs(keys) do
        if not seen[k] then seen[k] = true; into[#into + 1] = k end
      end
    end
  end
end

local SETTINGS_EXAMPLE = 'settings = { young_parent_age = { default = 25, label = "Upper age for a young parent" } }'

-- The agency settings every file in the lineage declares (an adaptation adds settings, or
-- gives one a new default or label): into[name] = { default, label }, and into.__order.
merge_settings = function(list, into, problem)
  for _, s in ipairs(list) do
    if type(s.spec) ~= "table" then
      problem(s.at, "settings must be a table of name = { default = ..., label = ... }: %s (it is a %s)", SETTINGS_EXAMPLE, type(s.spec))
    else
      local names_ = {}
      for k in pairs(s.spec) do names_[#names_ + 1] = k end
      table.sort(names_, function(a, b) return tostring(a) < tostring(b) end)
      for _, k in ipairs(names_) do
        local v = s.spec[k]
        if type(k) ~= "string" or not k:match("^[%a_][%w_]*$") or #k > 64 then
          problem(s.at, "settings: %s is not a setting's name (letters, digits and _): %s", type(k) == "string" and q(k) or tostring(k), SETTINGS_EXAMPLE)
        elseif type(v) ~= "table" then
          problem(s.at, "settings.%s must be { default = ..., label = ... }, not a %s: %s", k, type(v), SETTINGS_EXAMPLE)
        else
          for f in pairs(v) do
            if f ~= "default" and f ~= "label" then problem(s.at, "settings.%s: unknown field %s (fields: default, label)", k, tostring(f)) end
          end
          local d = v.default
          if type(d) ~= "number" and type(d) ~= "string" and type(d) ~= "boolean" then
            problem(s.at, "settings.%s: default must be a number, text or true/false, not %s", k, d == nil and "missing" or "a " .. type(d))
          elseif type(v.label) ~= "string" or v.label == "" then
            problem(s.at, "settings.%s: label must say what the setting is (text)", k)
          else
            if not into[k] then into.__order = into.__order or {}; into.__order[#into.__order + 1] = k end
            into[k] = { default = d, label = v.label }
          end
        end
      end
    end
  end
end

-- Normalise a raw spec into a definition; problems go to the list `out`.
local function normalise(raw, out)
  local def = { name = raw.fields.name, title = raw.fields.title, description = raw.fields.description,
                initial = raw.fields.initial, at = raw.at, base_name = raw.base_name,
                roles = {}, role_set = {}, states = {}, state_by = {}, transitions = {},
                transition_by = {}, on_enter = {}, on_exit = {}, forms = {}, form_by = {},
                rules = {}, rule_by = {}, sensitive = { data = {}, members = {} },
                controlled = {}, settings = {} }
  local function problem(at, msg, ...) out[#out + 1] = { at = at, msg = fmt(msg, ...) } end
  for _, p in ipairs(raw.problems) do out[#out + 1] = p end
  if not raw.base_name then
    for k in pairs(raw.fields) do
      if not WORKFLOW_FIELDS[k] then problem(raw.at, "unknown field %s in workflow (fields: name, title, description, roles, initial, states, transitions, on_enter, on_exit, forms, rules, sensitive, controlled, settings)", k) end
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
  if raw.fields.family_roles ~= nil then
    local roles, why = role_list(raw.fields.family_roles, "family_roles", FAMILY_ROLES_EXAMPLE)
    if roles then def.family_roles = roles else problem(raw.family_roles_at or raw.at, "%s", why) end
  end
  -- states
  for _, e in ipairs(raw.states) do
    local s, at = e.entry, e.at
    if type(s) ~= "table" or type(s[1]) ~= "string" then
      problem(at, "each state is { \"name\", title = ... }")
    else
      local st = { name = s[1], title = s.title or s[1], description = s.description,
                   forms = plain_list(s.forms), review = s.review, final = s.final == true,
                   outcome = s.outcome, ended_by = s.ended_by, at = at, adapted = e.adapted }
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
      if s.ended_by ~= nil then
        local ok = false
        for _, v in ipairs(ENDED_BY) do if s.ended_by == v then ok = true end end
        if not ok then
          problem(at, "state %s: ended_by must be one of %s, not %s", q(st.name), table.concat(ENDED_BY, ", "),
            type(s.ended_by) == "string" and q(s.ended_by) or "a " .. type(s.ended_by))
        elseif not st.final then
          problem(at, "state %s: only a final state says who ended the work (ended_by)", q(st.name))
        end
      end
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
                   stay = t.stay == true,
                   adapted = e.adapted, requires = plain_list(t.requires), when = {},
                   decision = t.decision == true }
      local label = "transition " .. q(tr.name)
      for k in pairs(t) do
        if k ~= 1 and not TRANSITION_FIELDS[k] then problem(at, "%s: unknown field %s", label, tostring(k)) end
      end
      if t[2] ~= nil then problem(at, "%s: unexpected second value (fields need names: from = ..., to = ...)", label) end
      if t.from == "*" then tr.from_all = true; tr.from = {}
      elseif t.from == nil then problem(at, "%s has no from (a state, a list of states, or \"*\")", label); tr.from = {}
      else tr.from = plain_list(t.from) end
      for _, s in ipairs(tr.from) do
        if s == "*" then problem(at, "%s: \"*\" cannot be in a list; write from = \"*\"", label)
        elseif not def.state_by[s] then problem(at, "%s names unknown state %s in from", label, q(s))
        elseif def.state_by[s].final then problem(at, "%s leaves final state %s (nothing leaves a final state)", label, q(s)) end
      end
      if t.stay ~= nil and type(t.stay) ~= "boolean" then
        problem(at, "%s: stay must be true or false", label)
      elseif tr.stay then
        -- an act recorded in the state it fires from (signing a plan): no to, no timer
        if tr.to ~= nil then problem(at, "%s: stay = true records an act without leaving the state; it takes no to", label) end
        if t.after ~= nil then problem(at, "%s: stay = true cannot be fired by time (after)", label) end
        tr.to = nil
      elseif tr.to == nil then problem(at, "%s has no to (or stay = true: an act that does not leave the state)", label)
      elseif not def.state_by[tr.to] then problem(at, "%s names unknown state %s", label, q(tr.to)) end
      if t.by ~= nil then
        tr.by = plain_list(t.by)
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
      if t.decision ~= nil and type(t.decision) ~= "boolean" then
        problem(at, "%s: decision must be true or false (true: it needs a shared decision recorded for it)", label)
      end
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
    else
      local name = f.spec.name; def.form_by[name] = f; def.forms[#def.forms + 1] = name
      for _, msg in ipairs(form_family_problems(f.spec, E.family_roles(def))) do
        problem({ path = f.path, line = lines[f.spec] or raw.at.line }, "%s", msg)
      end
    end
  end
  for _, r in ipairs(raw.rules) do
    if type(r.spec) ~= "table" or kinds[r.spec] ~= "rule" then problem(raw.at, "rules must be a list of rule { ... }")
    else def.rule_by[r.spec.name] = r; def.rules[#def.rules + 1] = r.spec.name end
  end
  merge_sensitive(raw.sensitive, def.sensitive, problem)
  merge_controlled(raw.controlled, def.controlled, problem)
  merge_settings(raw.settings, def.settings, problem)
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

-- t's from-states as a set, made at its first question (a version's transitions never
-- change once loaded): asked for every transition of every case a dry run looks at.
local from_sets = setmetatable({}, { __mode = "k" })

local function fires_from(t, state, def)
  if t.from_all then return not def.state_by[state].final end
  local set = from_sets[t]
  if not set then
    set = {}
    for _, s in ipairs(t.from) do set[s] = true end
    from_sets[t] = set
  end
  return set[state] == true
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

---------------------------------------------------------------------------------------
-- Versions at run time

local versions = bounded(500)   -- id -> def

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

lib.place, lib.negative, lib.normalise, lib.raw_from, lib.merge = place, negative, normalise, raw_from, merge
lib.resolve, lib.from_states, lib.fires_from = resolve, from_states, fires_from

-- The names of the forms a definition uses (its own, its states', its transitions'
-- requires), each once, in that order. Kept per definition (read-only: callers only
-- iterate it), as a dry run asks it of every case.
local used_by = setmetatable({}, { __mode = "k" })

function E.used_forms(def)
  if used_by[def] then return used_by[def] end
  local out, seen = {}, {}
  local function use(name)
    if type(name) == "string" and not seen[name] then seen[name] = true; out[#out + 1] = name end
  end
  for _, name in ipairs(def.forms) do use(name) end
  for _, s in ipairs(def.states) do for _, name in ipairs(s.forms) do use(name) end end
  for _, t in ipairs(def.transitions) do for _, name in ipairs(t.requires) do use(name) end end
  used_by[def] = out
  return out
end
