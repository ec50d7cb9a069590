-- engine/lua/sandbox.lua: the environments that workflow, rule, form, plugin and scenario
-- files run in: each file its own globals over read-only safe libraries, the `kf` API
-- and the file constructors. It decides what sandboxed code can reach; it runs no file.
local E = ...
local host = E.host
local rawget_, setmetatable_, getmetatable_, type_ = rawget, setmetatable, getmetatable, type
local pairs_, next_, error_, tostring_ = pairs, next, error, tostring

-- The string metatable: reachable from every string, so it must not hand out the library.
getmetatable_("").__metatable = false

-- A read-only view of a table: reads go through, writes raise.
local function readonly(t, what)
  return setmetatable_({}, {
    __index = t,
    __newindex = function(_, k) error_("attempt to modify read-only " .. what .. " (field '" .. tostring_(k) .. "')", 2) end,
    __pairs = function()        -- iterate without handing out the table itself
      local k
      return function()
        local v
        k, v = next_(t, k)
        return k, v
      end, nil, nil
    end,
    __len = function() return #t end,
    __metatable = false,
  })
end
E.readonly = readonly

local function copy(t)
  local c = {}
  for k, v in pairs_(t) do c[k] = v end
  return c
end

-- os.time() and os.date() read the engine's clock (KINFLOW_NOW in tests and scenarios), as
-- kf.now() does: one clock for everything. With a time given they are Lua's own.
local sys_time, sys_date, type_of = os.time, os.date, type
function E.os_time(t)
  if t == nil then return host.parse_time(host.now()) end
  return sys_time(t)
end
function E.os_date(fmt_, t)
  return sys_date(fmt_, t == nil and host.parse_time(host.now()) or t)
end

local libs = {
  string = readonly(copy(string), "library 'string'"),
  table = readonly(copy(table), "library 'table'"),
  math = readonly(copy(math), "library 'math'"),
  utf8 = readonly(copy(utf8), "library 'utf8'"),
  os = readonly({ time = E.os_time, date = E.os_date, clock = os.clock }, "library 'os'"),
}

-- setmetatable without finalizers: a __gc could run at any later moment, outside any budget.
local function safe_setmetatable(t, mt)
  if type_(mt) == "table" and rawget_(mt, "__gc") ~= nil then
    error_("setmetatable: __gc metamethods are not allowed in kinflow code", 2)
  end
  return setmetatable_(t, mt)
end

-- xpcall whose handler never runs once the CPU budget is spent (the hook that raised
-- that error cannot stop a handler that loops).
local xpcall_ = xpcall
local function safe_xpcall(f, handler, ...)
  return xpcall_(f, function(e)
    if host.exceeded() then return e end
    return handler(e)
  end, ...)
end

-- The safe base every file's globals fall back to.
local base = {
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
  pcall = pcall, xpcall = safe_xpcall, select = select, tonumber = tonumber, tostring = tostring,
  type = type, rawequal = rawequal, rawget = rawget, rawlen = rawlen,
  getmetatable = getmetatable, setmetatable = safe_setmetatable,
  _VERSION = _VERSION, math = libs.math, string = libs.string, table = libs.table,
  utf8 = libs.utf8, os = libs.os,
}
E.base = base
E.libs = libs

-- print from a workflow goes to the log (stderr), never into a command's output.
E.print = function(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring_((select(i, ...))) end
  host.log(table.concat(parts, "\t"))
end

-- Constructors tag what a file returns: workflow{}, adapt "base" {}, rule{}, form{}, ...
local kinds = setmetatable_({}, { __mode = "k" })
local lines = setmetatable_({}, { __mode = "k" })
E.kinds, E.lines = kinds, lines

local function tagger(kind)
  return function(spec)
    if type_(spec) ~= "table" then
      error_(kind .. " expects a table: " .. kind .. " { name = ..., ... }", 2)
    end
    kinds[spec] = kind
    local _, line = host.caller(2)
    lines[spec] = line
    return spec
  end
end

base.workflow = tagger("workflow")
base.rule = tagger("rule")
base.form = tagger("form")
base.plugin = tagger("plugin")
base.migration = tagger("migration")   -- a plan for moving cases to another version
-- adapt "base" { ... } and scenarios "workflow" { ... }: a name, then the file's table,
-- which remembers the name under field.
local function named(kind, field, usage)
  return function(name)
    if type_(name) ~= "string" then error_(usage, 2) end
    local _, line = host.caller(2)
    return function(spec)
      if type_(spec) ~= "table" then error_(kind .. " \"" .. name .. "\" expects a table", 2) end
      kinds[spec], lines[spec] = kind, line
      spec[field] = name
      return spec
    end
  end
end
base.adapt = named("adapt", "__base", 'adapt expects the base programme\'s name: adapt "coparenthood" { ... }')
-- join(list, list, ...): one list of the steps of several, for scenario files that build a
-- scenario from shared pieces (the family, the consent, the first stage's work...).
base.join = function(...)
  local out = {}
  for i = 1, select("#", ...) do
    local list = select(i, ...)
    if type_(list) ~= "table" then error_("join expects lists of steps (argument " .. i .. " is a " .. type_(list) .. ")", 2) end
    for _, step in ipairs(list) do out[#out + 1] = step end
  end
  return out
end

base.scenarios = named("scenarios", "__workflow",
                       'scenarios expects the workflow\'s name: scenarios "coparenthood" { ... }')

-- A new environment for one file. extra: fields added for this kind of file (e.g. scripts).
function E.env(path, extra)
  local env = {}
  env._G = env
  env.print = E.print
  env.kf = E.kf
  env.load = function(chunk, name, mode, e)
    if type_(chunk) ~= "string" then return nil, "load: only text chunks are allowed" end
    if mode ~= nil and mode ~= "t" then return nil, "load: binary chunks are not allowed" end
    return host.load(chunk, "=" .. path .. " (load " .. tostring_(name or "chunk") .. ")", e == nil and env or e)
  end
  if extra then for k, v in pairs_(extra) do env[k] = v end end
  return setmetatable_(env, { __index = base, __metatable = false })
end

-- An error value as one line that names its file.
function E.errtext(e, path)
  -- where the hook last saw this file's code, for errors that carry no position
  local last = host.lastpos()
  local at = (path and last:sub(1, #path + 1) == path .. ":") and last or ((path or "?") .. ":")
  if type_(e) ~= "string" then return at .. " (error object is a " .. type_(e) .. " value)" end
  if e == "not enough memory" then
    local _, cap = host.memory()
    return at .. " memory limit exceeded (" .. (cap // 1048576) .. " MiB)"
  end
  -- no position at all (raised inside C, e.g. "C stack overflow"): where the file was
  if not e:find("^[^\n]-:%d+:") and not e:find("^[^\n]- %(load ") then e = at .. " " .. e end
  -- an error raised at a level outside the file names the engine: name the file instead
  local inner = e:match("^engine/lua/[%w_]+%.lua:%d+: (.*)$")
  if inner then e = at .. " " .. inner end
  -- an error inside a chunk the file loaded: the file's line, then the chunk's
  local prefix = (path or "?") .. " (load "
  if #e < 2000 and e:sub(1, #prefix) == prefix then
    local chunk, cl, m2 = e:match("^.- %((load [^)]*)%):(%d+): (.*)$")
    if chunk then e = at .. " in " .. chunk .. " line " .. cl .. ": " .. m2 end
  end
  return (e:gsub("[\r\n]+", " "))
end

-- Run a file's text in its own environment; returns what it returned, or nil, message.
function E.run(path, source, extra)
  local env = E.env(path, extra)
  local fn, err = host.load(source, "@" .. path, env)
  if not fn then return nil, err end
  host.at(path)
  host.trace(true)
  local ok, value = pcall(fn)
  host.trace(false)
  if not ok then return nil, E.errtext(value, path) end
  return value, nil, env
end
