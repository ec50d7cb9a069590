-- engine/lua/impact.lua: rule impact (what a changed rule would change in every open case)
-- and where a rule in force comes from. It evaluates rules on copies; it writes nothing.
local E = ...
local host, lib = E.host, E.lib
local fmt = string.format
local q, names, A, make_case, guard_result, fires_from, deployed, declarations, check_rule_spec = lib.q, lib.names, lib.A, lib.make_case, lib.guard_result, lib.fires_from, lib.deployed, lib.declarations, lib.check_rule_spec
local privacy = lib.privacy
local registry = lib.plugin_registry

---------------------------------------------------------------------------------------
-- Rule impact: what a changed rule would change in every open case (writes nothing)

-- One rule's impact: every open case judged by the rule in force and by `spec`. A changed
-- case's before or after whose reason quotes a sensitive value of the case is marked
-- private = true. keys_by: sensitive keys by workflow id, shared by the rules of one call.
local function impact_of(spec, path, cases, keys_by)
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
        local is_private = privacy(c, keys_by)
        if is_private(before.reason) then before.private = true end
        if is_private(after.reason) then after.private = true end
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
  local keys_by = {}
  if #list == 1 then return impact_of(list[1], path, cases, keys_by) end
  local all = { rule = names(list), evaluated = 0, unaffected = 0, changed = A(), reworded = 0, rules = A() }
  for i, r in ipairs(list) do
    local one = impact_of(r, path, cases, keys_by)
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
  local pr = registry.rules[name]
  if pr then return { source = "plugin", plugin = pr.plugin, path = pr.path } end
  local owner = host.c_rule_owner(name)
  if owner then return { source = "plugin", plugin = owner } end
  return { source = "none" }
end
