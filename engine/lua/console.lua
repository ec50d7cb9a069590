-- engine/lua/console.lua: what the console asks of forms and rules as plain data (a form's
-- schema, sensitive fields, every rule a guard can name). Queries only: no decisions, no writes.
local E = ...
local host, lib = E.host, E.lib
local fmt, sort = string.format, table.sort
local q, A = lib.q, lib.A
local registry = lib.plugin_registry

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
  local by = nil
  if f.spec.family == true then
    by = A()
    for i, r in ipairs(f.spec.by or (def and E.family_roles(def)) or {}) do by[i] = r end
  end
  return { name = name, title = f.spec.title or name, description = f.spec.description,
           version = f.version, plugin = f.plugin, fields = fields,
           family = f.spec.family, by = by }
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

-- Every sensitive key of a workflow version: { data = {key...}, members = {key...},
-- forms = { form = {field...} } } for every form it uses (inline, deployed or a plugin's;
-- a form with no definition has no entry).
-- Kept per version while no definition is deployed (a form redeployed may mark other
-- fields sensitive): working them out looks up every form the version uses.
local keys_kept, keys_stamp = {}, nil

function E.sensitive_keys(workflow_id)
  local stamp = host.has_store() and host.defs_stamp() or "none"
  if stamp ~= keys_stamp then keys_kept, keys_stamp = {}, stamp end
  local kept = keys_kept[workflow_id]
  if kept then return kept end
  local out = E.sensitive_keys_now(workflow_id)
  keys_kept[workflow_id] = out
  return out
end

function E.sensitive_keys_now(workflow_id)
  local def = E.version(workflow_id)
  local out = { data = A(), members = A(), forms = {} }
  for i, k in ipairs(def.sensitive.data) do out.data[i] = k end
  for i, k in ipairs(def.sensitive.members) do out.members[i] = k end
  for _, name in ipairs(E.used_forms(def)) do
    local f = E.find_form(name, def)
    if f then
      local list = A()
      for _, fld in ipairs(f.spec.fields or {}) do
        if type(fld) == "table" and fld.sensitive then list[#list + 1] = fld[1] end
      end
      out.forms[name] = list
    end
  end
  return out
end

-- Every rule a guard can name: from plugins (Lua and C) and deployed versions.
function E.rules_list(deployed_names)
  E.load_plugins()
  local names_set = {}
  for name in pairs(registry.rules) do names_set[name] = true end
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
    local pr = registry.rules[name]
    out[#out + 1] = { name = name, description = r and r.spec.description or nil, in_force = E.rule_source(name),
                      plugin = pr and pr.plugin or nil,
                      source = row and row.source or (pr and pr.source) or nil,
                      path = row and row.path or (pr and pr.path) or nil }
  end
  sort(out, function(a, b) return a.name < b.name end)
  return out
end
