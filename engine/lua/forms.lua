-- engine/lua/forms.lua: form entries checked against their form (every bad field named),
-- and the form version an entry is stored under. It never stores the entry itself.
local E = ...
local lib = E.lib
local fmt, concat, sort = string.format, table.concat, table.sort
local q, is_array, parse_date, export = lib.q, lib.is_array, lib.parse_date, lib.export

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
