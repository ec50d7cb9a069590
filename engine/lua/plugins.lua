-- engine/lua/plugins.lua: plugin folders (their plugin.lua, forms/ and rules/, C libraries)
-- and where a rule or form named in a workflow comes from: inline, deployed, or a plugin.
-- It loads and looks up; it never checks a workflow or runs a case.
local E = ...
local host, lib = E.host, E.lib
local kinds = E.kinds
local fmt = string.format
local q, list_of, A, bounded = lib.q, lib.list_of, lib.A, lib.bounded

---------------------------------------------------------------------------------------
-- Plugins (Lua folders): their forms and rules

local plugins, plugin_forms, plugin_rules, plugin_problems

-- What the Lua plugins add, once E.load_plugins has run: forms and rules (name -> { spec,
-- path, plugin, source }) and the problems met loading them.
local registry = {}
lib.plugin_registry = registry

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
  registry.forms, registry.rules, registry.problems = plugin_forms, plugin_rules, plugin_problems
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
    if kind == "form" then
      for _, msg in ipairs(lib.form_family_problems(spec)) do problem(path .. ": " .. msg) end
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

local deployed_cache = bounded(500)   -- definition id -> spec

local function deployed(kind, name)
  if not host.has_store() then return nil end
  -- the latest version's id first (cheap): its row and definition only when not kept yet
  local id = host.def_id(kind, name)
  if not id then return nil end
  local hit = deployed_cache.get(id)
  if not hit then
    local row = host.def(id)
    if not row then return nil end
    local spec, k = lib.declared(kind, name, row.path, row.source)
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

lib.deployed = deployed
