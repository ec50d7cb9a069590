-- engine/lua/family.lua: what a family account's page and acts need of a programme's
-- definition: its family roles, which forms the family fills or reads, which moves are a
-- member's, and the page's words (stage, what comes next, the family's forms and entries).
-- It decides nothing about who is signed in and reads no user: that is C's (family.c).
local E = ...
local host, lib = E.host, E.lib
local fmt = string.format
local A = lib.A

---------------------------------------------------------------------------------------
-- Families

-- The family forms of a programme: { {name, spec, family, by}, ... } (by: who fills it,
-- for family = true: its own list or every family role).
local function family_forms(def)
  local out = {}
  for _, name in ipairs(E.used_forms(def)) do
    local f = E.find_form(name, def)
    local fam = f and f.spec.family
    if fam == true or fam == "read" then
      out[#out + 1] = { name = name, spec = f.spec, family = fam,
                        by = fam == true and (f.spec.by or E.family_roles(def)) or {} }
    end
  end
  return out
end

local function holds(list, role)
  for _, r in ipairs(list or {}) do if r == role then return true end end
  return false
end

-- family_info(workflow id): { roles = {...}, transitions = { name = {by, decision, title} },
-- forms = { name = {family, by} } } (family forms only).
function E.family_info(workflow_id)
  local def = E.version(workflow_id)
  local roles = A()
  for i, r in ipairs(E.family_roles(def)) do roles[i] = r end
  local transitions, forms = {}, {}
  for _, t in ipairs(def.transitions) do
    transitions[t.name] = { by = A(t.by or {}), decision = t.decision, title = t.title or t.name }
  end
  for _, f in ipairs(family_forms(def)) do
    forms[f.name] = { family = f.family, by = A(f.by) }
  end
  return { roles = roles, transitions = transitions, forms = forms }
end

-- A field's value as plain words (a choice's name with spaces: "communication book").
-- (a member field's numbers read as the members' names: case_id is the case's number)
local function words(v, fld, case_id)
  local choice = fld.type == "choice" or (fld.type == "list" and fld.of == "choice")
  local member = fld.type == "member" or (fld.type == "list" and fld.of == "member")
  local function name_of(x)
    local m = math.type(x) == "integer" and E.member_of(case_id, x) or nil
    return m and tostring(m.name) or tostring(x)
  end
  if type(v) == "boolean" then return v and "yes" or "no" end
  if member and type(v) ~= "table" then return name_of(v) end
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do
      if member then parts[i] = name_of(x)
      else parts[i] = choice and tostring(x):gsub("_", " ") or tostring(x) end
    end
    return table.concat(parts, ", ")
  end
  return choice and (tostring(v):gsub("_", " ")) or tostring(v)
end

-- family_page(case, role): the parts of the family page that come from the definition:
-- { programme, stage, stage_title, stage_description, final, outcome, next, forms, shared,
-- dates }. shared entries carry actor and each field's sensitive flag, for C to decide who
-- sees what; next: moves from the current state, only the role's own with reasons.
function E.family_page(c, role)
  local def = E.version(c.workflow_id)
  local st = def.state_by[c.state]
  local page = { programme = def.title or def.name, stage = c.state,
                 stage_title = st and st.title or c.state, stage_description = st and st.description,
                 final = st ~= nil and st.final, outcome = st and st.outcome,
                 next = A(), forms = A(), shared = A(), dates = A() }
  local moves = (st and not st.final) and E.moves(c, nil) or {}
  for _, m in ipairs(moves) do
    local t = def.transition_by[m.name]
    local yours = holds(t.by, role)
    local reasons = A()
    if yours then
      for _, r in ipairs(m.refusals) do
        reasons[#reasons + 1] = r.private and "(withheld: it may contain private details)" or r.text
      end
    end
    page.next[#page.next + 1] = { name = m.name, title = t.title or m.name, to_title = m.to_title,
                                  description = t.description, yours = yours,
                                  available = yours and #m.refusals == 0, reasons = reasons }
  end
  local today = host.now():sub(1, 10)
  for _, f in ipairs(family_forms(def)) do
    if f.family == true and holds(f.by, role) then
      page.forms[#page.forms + 1] = E.form_schema(f.name, c.workflow_id)
    end
    local title = f.spec.title or f.name
    local entries = A()
    for _, e in ipairs(c.id and host.entries(c.id, f.name) or {}) do
      local fields = A()
      local data = type(e.data) == "table" and e.data or {}
      for _, fld in ipairs(f.spec.fields or {}) do
        local v = data[fld[1]]
        if v ~= nil and v ~= "" then
          local label = fld.label or fld[1]
          fields[#fields + 1] = { name = fld[1], label = label, value = words(v, fld, c.id),
                                  sensitive = fld.sensitive == true }
          if fld.type == "date" and not fld.sensitive and type(v) == "string" and v >= today then
            page.dates[#page.dates + 1] = { what = fmt("%s: %s", title, label), date = v }
          end
        end
      end
      entries[#entries + 1] = { id = e.id, at = e.at, actor = e.actor, fields = fields }
    end
    page.shared[#page.shared + 1] = { form = f.name, title = title, entries = entries }
  end
  return page
end
