-- engine/lua/load.lua: running a workflow, adapt, rule, form, plugin or scenario file in its
-- sandbox (E.load_file, cached and bounded), and finding the form or rule a file declares.
-- It never decides what a definition means: that is define.lua and check.lua.
local E = ...
local lib, host = E.lib, E.host
local kinds, lines = E.kinds, E.lines
local fmt = string.format
local q, list_of, scan_lines, constructor_line, bounded = lib.q, lib.list_of, lib.scan_lines, lib.constructor_line, lib.bounded
local field_line = lib.field_line

---------------------------------------------------------------------------------------
-- Loading files

-- path..source -> { value, kind, map }: 500 files or 8 MiB of source at most (a console
-- worker previews one rule text after another for as long as it lives).
local loaded = bounded(500, 8 << 20)

-- Run a file and return what it declares: value, kind, line map; or nil, message.
function E.load_file(path, source)
  host.arm()   -- what the file returned is read from here on: under the CPU budget
  local key = path .. "\0" .. source
  local hit = loaded.get(key)
  if hit then hit.map.used = {}; return hit.value, hit.kind, hit.map end
  local value, err = E.run(path, source)
  if err then return nil, err end
  local kind = type(value) == "table" and kinds[value] or nil
  if not kind then
    return nil, fmt("%s:1: the file must return workflow { ... }, adapt \"base\" { ... }, " ..
      "rule { ... }, form { ... }, plugin { ... }, scenarios \"name\" { ... } or migration { ... } (it returned %s)",
      path, type(value))
  end
  if (lines[value] or -1) < 1 then lines[value] = constructor_line(source, kind) end
  hit = { value = value, kind = kind, map = scan_lines(source) }
  if kind == "workflow" or kind == "adapt" then
    hit.map.sensitive = field_line(source, "sensitive")
    hit.map.family_roles = field_line(source, "family_roles")
    hit.map.controlled = field_line(source, "controlled")
    hit.map.settings = field_line(source, "settings")
  end
  loaded.put(key, hit, #key)
  return value, kind, hit.map
end

-- The form or rule called `name` that a file declares: the file itself when it is that form
-- or rule (forms/*.lua, rules/*.lua), or the one of that name a plugin, workflow or
-- adaptation lists in its forms or rules. Returns spec, or nil, FILE:LINE: message.
local function declared(kind, name, path, source)
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

lib.declared, lib.declarations = declared, declarations
