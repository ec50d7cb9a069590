-- engine/lua/util.lua: small helpers every part of the engine's Lua half shares (quoting,
-- lists, where names stand in a source, bounded caches), in the table E.lib. Pure functions
-- and data structures only: it reads no file and knows nothing of workflows.
local E = ...
local host = E.host
local concat = table.concat
local lib = {}
E.lib = lib      -- a table, not a function: C's kf_lua_call cannot reach into it

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

-- The first line where a field is given a value other than true or false (`name = {`),
-- outside comments; nil when none (line by line with plain finds and short patterns, as
-- constructor_line; `sensitive = true` of a form's field is not the workflow's field).
local function field_line(src, name)
  local n, at = 1, 1
  while at <= #src do
    local nl = src:find("\n", at, true) or #src + 1
    local text = src:sub(at, nl - 1)
    local dashes = text:find("--", 1, true)
    if dashes then text = text:sub(1, dashes - 1) end
    if #text < 400 and text:find(name, 1, true) then
      local v = text:match("%f[%w_]" .. name .. "%s*=%s*([%w_{\"']+)")
      if v and v ~= "true" and v ~= "false" then return n end
    end
    n, at = n + 1, nl + 1
  end
end

local A = host.array

-- A bounded cache, the way Redis caps its script cache: at most `size` entries and, when
-- given, about `bytes` of weight (what the caller says an entry costs). Two generations: a
-- full young one becomes the old one and the old one is dropped whole; a hit in the old
-- generation moves back to the young one, so what is in use stays. get and put are O(1).
local function bounded(size, bytes)
  bytes = bytes or math.maxinteger
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
  return c
end

lib.q, lib.list_of, lib.set_of, lib.names, lib.is_array = q, list_of, set_of, names, is_array
lib.scan_lines, lib.line_of, lib.constructor_line = scan_lines, line_of, constructor_line
lib.field_line = field_line
lib.A, lib.bounded = A, bounded
