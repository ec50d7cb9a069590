-- engine/lua/forms.lua: form entries checked against their form (every bad field named),
-- and the form version an entry is stored under. It never stores the entry itself.
local E = ...
local host, lib = E.host, E.lib
local fmt, concat, sort = string.format, table.concat, table.sort
local q, is_array, parse_date, export = lib.q, lib.is_array, lib.parse_date, lib.export

---------------------------------------------------------------------------------------
-- Forms

-- How a member field's value reads: nil when it names a current member holding one of
-- f.roles (any role when none), else the problem. ctx.member(id) gives the member or nil.
local function member_problem(f, x, ctx)
  if math.type(x) ~= "integer" and not (type(x) == "number" and x == math.floor(x)) then
    return "not a member number of the case"
  end
  local id = math.tointeger(x)
  local m = ctx.member and ctx.member(id)
  if not m then return fmt("member %d is not on the case", id) end
  if m.ended_at then
    return fmt("member %d (%s) left the case on %s", id, tostring(m.name), tostring(m.ended_at):sub(1, 10))
  end
  if type(f.roles) == "table" and #f.roles > 0 then
    for _, r in ipairs(f.roles) do if r == m.role then return nil end end
    local a = tostring(m.role):match("^[aeiou]") and "an" or "a"
    return fmt("member %d (%s) is %s %s, not one of: %s", id, tostring(m.name), a, tostring(m.role), concat(f.roles, ", "))
  end
  return nil
end

-- ctx: { today = "YYYY-MM-DD" (or nil: no check), member = function(id) }
local function field_problem(f, v, ctx)
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
      if f.future ~= true and ctx.today and x > ctx.today then
        return fmt("%s is after today; only a planned date can be (future = true)", x)
      end
    elseif kind == "choice" then
      local ok = false
      for _, c in ipairs(choices or {}) do if c == x then ok = true end end
      if not ok then return fmt("%s is not one of: %s", q(tostring(x)), concat(choices or {}, ", ")) end
    elseif kind == "member" then
      return member_problem(f, x, ctx)
    end
  end
  if ty == "list" then
    if type(v) ~= "table" or not is_array(v) then return "not a list" end
    local seen = {}
    for i, x in ipairs(v) do
      local p = one(f.of or "text", x, f.choices)
      -- a member names itself ("member 9 is not on the case"); other items by their place
      if p and f.of == "member" and p:match("^member ") then return p end
      if p then return fmt("item %d: %s", i, p) end
      if f.of == "member" then
        if seen[x] then return fmt("member %d is listed twice", math.tointeger(x)) end
        seen[x] = true
      end
    end
    return nil
  end
  return one(ty, v, f.choices)
end

local function is_empty(f, v)
  return v == nil or v == "" or (type(v) == "table" and next(v) == nil and f.type == "list")
end

-- Problems of an entry (texts "field: problem"). ctx (may be nil): { today, member(id),
-- role = the role the entry is given in, or nil }.
function E.validate(spec, data, ctx)
  ctx = ctx or {}
  local errors, known = {}, {}
  for _, f in ipairs(spec.fields or {}) do
    local name = f[1]
    known[name] = true
    local v = data[name]
    if is_empty(f, v) then
      if f.required then errors[#errors + 1] = name .. ": required" end
    else
      local p = field_problem(f, v, ctx)
      if p then errors[#errors + 1] = name .. ": " .. p
      elseif type(f.by) == "table" and v ~= false then
        local ok = false
        for _, r in ipairs(f.by) do if r == ctx.role then ok = true end end
        if not ok then
          errors[#errors + 1] = fmt("%s: only %s can give this (submit as one of: %s)", name,
            concat(f.by, " or "), concat(f.by, ", "))
        end
      end
    end
  end
  local extra = {}
  for k in pairs(data) do if not known[k] then extra[#extra + 1] = tostring(k) end end
  sort(extra)
  for _, k in ipairs(extra) do errors[#errors + 1] = k .. ": not a field of form " .. q(spec.name) end
  return errors
end

-- The member number id of case_id as forms see it ({id, role, name, data, ended_at}), or nil.
function E.member_of(case_id, id)
  if case_id == nil or math.type(id) ~= "integer" or not host.has_store() then return nil end
  local m = host.member(case_id, id)
  if not m then return nil end
  return { id = m.id, role = m.role, name = m.name, data = m.data or {}, ended_at = m.ended_at }
end

-- submit(case, form, data, role): check an entry given in role (or nil: none named).
-- Returns { form_id, valid } or nil, code, msg.
function E.submit(c, name, data, role)
  local def = E.version(c.workflow_id)
  if role ~= nil and not def.role_set[role] and not lib.set_of(E.family_roles(def))[role] then
    return nil, "invalid", fmt("unknown role %s in workflow %s (roles: %s)", q(role), q(def.name), lib.names(def.roles))
  end
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
  local ctx = { today = host.now():sub(1, 10), role = role,
                member = function(id) return E.member_of(c.id, id) end }
  local errors = E.validate(f.spec, type(data) == "table" and data or {}, ctx)
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
