-- engine/lua/script.lua: analysts' scripts (`kinflow script run FILE [ARG...]`): the read-only
-- `kf` they see (kf.cases, kf.events, kf.sql, kf.out, the clock) and running one script in
-- the sandbox of engine/lua/sandbox.lua. Nothing here writes: every record a script gets is a
-- read-only view, and any attempt to change one, or to write through kf.sql, ends the
-- script (script_host.deny). Unless the run reveals them (`--reveal --reason`, recorded by
-- cli_analysis.c), sensitive keys are gone from every record (kf.sql reads the data columns
-- as NULL: store.c). Time and memory limits are the caller's (cli_analysis.c).
local E = ...
local host, sh = E.host, E.script_host
local fmt, concat = string.format, table.concat
local PAGE = 200

-- An error at the script's line (the first frame that belongs to a file).
local function fail(msg) error(sh.where() .. " " .. msg, 0) end

---------------------------------------------------------------------------------------
-- Read-only views: a proxy per table, deep; writes end the script.

local originals = setmetatable({}, { __mode = "k" }) -- view -> the table it shows
local views = setmetatable({}, { __mode = "k" })     -- table -> its view

local function view(t, what, methods, tostr)
  local v = views[t]
  if v then return v end
  local function wrap(x) return type(x) == "table" and view(x, what) or x end
  v = setmetatable({}, {
    __index = function(_, k)
      local x = t[k]
      if x == nil and methods then return methods[k] end
      return wrap(x)
    end,
    __newindex = function(_, k)
      sh.deny(fmt("attempt to change %s (field '%s'): scripts are read-only; nothing was changed",
                  what, tostring(k)))
    end,
    __pairs = function()
      return function(_, k)
        local nk, nx = next(t, k)
        return nk, wrap(nx)
      end, nil, nil
    end,
    __len = function() return #t end,
    __tostring = tostr,
    __metatable = false,
  })
  originals[v], views[t] = t, v
  return v
end

-- A value with every view replaced by what it shows (for kf.out.json).
local function plain(x, depth, seen)
  if type(x) ~= "table" then return x end
  if originals[x] then return originals[x] end
  depth, seen = depth or 0, seen or {}
  if depth > 64 or seen[x] then fail("kf.out.json: the value contains itself or is nested too deeply") end
  seen[x] = true
  local out = {}
  for k, v in next, x do out[k] = plain(v, depth + 1, seen) end
  seen[x] = nil
  return out
end

---------------------------------------------------------------------------------------
-- Sensitive values: gone from every record unless the run reveals them

local reveal = false
local keys_by = E.lib.bounded(500)       -- workflow version id -> its sensitive keys, as sets
local workflow_of = E.lib.bounded(10000) -- case id -> its workflow version id

local function set_of(list)
  local out = {}
  for _, k in ipairs(list or {}) do out[k] = true end
  return out
end

-- The sensitive keys of a workflow version, looked up once: data, members, forms (form ->
-- set of fields) and every (their union, for event data).
local function keys_of(workflow_id)
  local k = keys_by.get(workflow_id)
  if k then return k end
  local raw = E.sensitive_keys(workflow_id)
  k = { data = set_of(raw.data), members = set_of(raw.members), forms = {}, every = {} }
  for _, list in ipairs { raw.data, raw.members } do
    for _, name in ipairs(list) do k.every[name] = true end
  end
  for form, fields in pairs(raw.forms) do
    k.forms[form] = set_of(fields)
    for _, name in ipairs(fields) do k.every[name] = true end
  end
  keys_by.put(workflow_id, k)
  return k
end

-- Take the keys in `keys` out of the table t (a fresh table from the store), at its top
-- level or, with depth, at every level down to 16.
local function strip(t, keys, depth)
  if type(t) ~= "table" then return end
  for name in pairs(keys) do t[name] = nil end
  if not depth or depth >= 16 then return end
  for _, v in pairs(t) do strip(v, keys, depth + 1) end
end

local function case_workflow(id)
  local w = workflow_of.get(id)
  if w then return w end
  local row = sh.case(tostring(id))
  w = row and row.workflow_id or -1
  workflow_of.put(id, w)
  return w
end

-- A case row, a member, an entry, an event as a script may see it (all fresh from the store).
local function hide_case(row)
  if not reveal and row.workflow_id then strip(row.data, keys_of(row.workflow_id).data) end
  return row
end
local function hide_members(list, workflow_id)
  if reveal then return list end
  local keys = keys_of(workflow_id).members
  for _, m in ipairs(list) do strip(m.data, keys) end
  return list
end
local function hide_entries(list, workflow_id)
  if reveal then return list end
  local forms = keys_of(workflow_id).forms
  for _, e in ipairs(list) do strip(e.data, forms[e.form] or {}) end
  return list
end
local function hide_event(row)
  if reveal or row.case == nil then return row end
  local w = case_workflow(row.case)
  if w ~= -1 then strip(row.data, keys_of(w).every, 0) end
  return row
end

---------------------------------------------------------------------------------------
-- Filters

local function check_filter(fn, f, allowed)
  if f == nil then return {} end
  if type(f) ~= "table" then fail(fmt("%s expects a table of filters, e.g. %s{ %s = ... }", fn, fn, next(allowed))) end
  local out, names = {}, {}
  for k in pairs(allowed) do names[#names + 1] = k end
  table.sort(names)
  for k, v in pairs(f) do
    local want = allowed[k]
    if not want then fail(fmt("%s: unknown filter '%s' (filters: %s)", fn, tostring(k), concat(names, ", "))) end
    if v ~= nil and not want[type(v)] then
      local kinds = {}
      for t in pairs(want) do kinds[#kinds + 1] = t end
      table.sort(kinds)
      fail(fmt("%s: filter '%s' must be a %s, not a %s", fn, k, concat(kinds, " or "), type(v)))
    end
    out[k] = v
  end
  return out
end

local function iso_or_fail(fn, name, s)
  local t = host.parse_time(s)
  if not t then fail(fmt("%s: %s must be a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ), not '%s'", fn, name, s)) end
  return host.iso(t)
end

-- An iterator over pages of rows from page(filter, after, limit), keyed by key.
local function pages(page, f, key, wrap)
  local rows, i, after, done = {}, 0, 0, false
  return function()
    if i >= #rows then
      if done then return nil end
      rows, i = page(f, after, PAGE), 0
      if #rows < PAGE then done = true end
      if #rows == 0 then return nil end
    end
    i = i + 1
    local r = rows[i]
    after = r[key]
    return wrap(r)
  end
end

---------------------------------------------------------------------------------------
-- Cases and events

local kf = {}
local event_view, case_view

local function case_id(fn, c)
  if type(c) == "number" then return math.tointeger(c) end
  if type(c) == "string" then
    local row = sh.case(c)
    if not row then fail(fmt("%s: no case '%s'", fn, c)) end
    return row.id
  end
  if type(c) == "table" and originals[c] then return originals[c].id end
  fail(fmt("%s: case must be a case number, a ref or a case", fn))
end

local event_filters = { case = { number = true, string = true, table = true }, kind = { string = true },
                        since = { string = true } }

function kf.events(f)
  f = check_filter("kf.events", f, event_filters)
  if f.case ~= nil then f.case = case_id("kf.events", f.case) or -1 end
  if f.since then f.since = iso_or_fail("kf.events", "since", f.since) end
  return pages(sh.events, f, "seq", event_view)
end

-- Stays of a case in its states, from its events, up to `upto` (ISO text) or now. A
-- stay in final_state (the case's state when that is final) has no length.
local function stays(id, upto, final_state)
  local out, cur = {}, nil
  local now = upto or host.now()
  local function days(a, b) return (host.parse_time(b) - host.parse_time(a)) / 86400 end
  for e in pages(sh.events, { case = id }, "seq", function(r) return r end) do
    if e.kind == "case.opened" or e.kind == "case.transition" then
      if e.at > now then break end
      if not cur or e.to ~= cur.state then
        if cur then cur.left, cur.days = e.at, days(cur.entered, e.at) end
        cur = { state = e.to, entered = e.at }
        out[#out + 1] = cur
      end
    end
  end
  if cur and not cur.left then
    if cur.state == final_state then cur.final = true else cur.days = days(cur.entered, now) end
  end
  return out
end

local case_methods = {}
function case_methods.members(self, role)
  local c = originals[self]
  return view(hide_members(host.members(c.id, role), c.workflow_id), "the members of case " .. c.id)
end
function case_methods.entries(self, form)
  local c = originals[self]
  return view(hide_entries(host.entries(c.id, form), c.workflow_id), "the entries of case " .. c.id)
end
function case_methods.latest(self, form)
  local c = originals[self]
  local es = hide_entries(host.entries(c.id, form), c.workflow_id)
  return es[#es] and view(es[#es], "an entry of case " .. c.id) or nil
end
function case_methods.consent(self, purpose)
  local k = E.consent_of(originals[self].id, purpose, "case:consent")
  return k and view(k, "a consent of case " .. originals[self].id) or nil
end
function case_methods.events(self, kind)
  return kf.events({ case = originals[self].id, kind = kind })
end
-- stays(): {state, entered, left (nil while still there), days (nil in a final state),
-- final} in order.
function case_methods.stays(self)
  local c = originals[self]
  return view(stays(c.id, nil, c.final and c.state or nil), "the stays of case " .. c.id)
end
-- state_at(date): the state the case was in then (nil before it was opened).
function case_methods.state_at(self, date)
  if type(date) ~= "string" then fail("case:state_at expects a date (YYYY-MM-DD or an ISO time)") end
  local at = host.parse_time(date)
  if not at then fail(fmt("case:state_at: not a date: '%s'", date)) end
  if #date == 10 then at = at + 86399 end -- a day means its end
  local s = stays(originals[self].id, host.iso(at))
  return s[#s] and s[#s].state or nil
end

local function case_tostring(self)
  local c = originals[self]
  return fmt("case %s (%s, %s)", tostring(c.id), tostring(c.workflow), tostring(c.state))
end

function case_view(row)
  hide_case(row)
  row.overdue = row.overdue_since ~= nil
  row.programme = row.programme or row.base_name or row.workflow
  return view(row, "case " .. tostring(row.id), case_methods, case_tostring)
end

function event_view(row)
  return view(hide_event(row), "event " .. tostring(row.seq))
end

local case_filters = { workflow = { string = true }, state = { string = true }, open = { boolean = true },
                       overdue = { boolean = true } }

function kf.cases(f)
  f = check_filter("kf.cases", f, case_filters)
  return pages(sh.cases, f, "id", case_view)
end

-- kf.case(id or ref): one case, or nil.
function kf.case(id)
  if type(id) ~= "number" and type(id) ~= "string" then fail("kf.case expects a case number or ref") end
  local row = sh.case(tostring(math.tointeger(id) or id))
  if not row then return nil end
  return case_view(sh.cases({}, row.id - 1, 1)[1] or row) -- the page's row names its programme
end

function kf.sql(query, ...)
  if type(query) ~= "string" then fail("kf.sql expects the query text first: kf.sql(\"SELECT ...\", ...)") end
  return sh.sql(query, ...)
end

---------------------------------------------------------------------------------------
-- Output

local function text_of(v)
  if v == nil then return "" end
  if math.type(v) == "float" then return fmt("%.15g", v) end
  if type(v) == "table" then return sh.json(plain(v), true) end
  return tostring(v)
end

local function csv_cell(v)
  local s = text_of(v)
  if s:find('[",\r\n]') or s:find("^%s") or s:find("%s$") then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local out = {}
-- out.csv(rows, columns): rows an array (or an iterator) of tables; columns their keys in
-- order (default: every key of every row, sorted). A header line, then a line a row.
function out.csv(rows, columns)
  local list = {}
  if type(rows) == "function" then
    for r in rows do list[#list + 1] = r end
  elseif type(rows) == "table" then
    for i = 1, #rows do list[i] = rows[i] end
  else
    fail("kf.out.csv expects rows (an array of tables, or an iterator) and optional column names")
  end
  if columns == nil then
    local seen = {}
    columns = {}
    for _, r in ipairs(list) do
      if type(r) ~= "table" then fail("kf.out.csv: each row must be a table") end
      for k in pairs(r) do
        if type(k) == "string" and not seen[k] then seen[k] = true; columns[#columns + 1] = k end
      end
    end
    table.sort(columns)
  elseif type(columns) ~= "table" then
    fail("kf.out.csv: columns must be an array of names, e.g. { \"id\", \"state\" }")
  end
  local lines = {}
  local head = {}
  for i, c in ipairs(columns) do head[i] = csv_cell(c) end
  lines[1] = concat(head, ",")
  for n, r in ipairs(list) do
    if type(r) ~= "table" then fail(fmt("kf.out.csv: row %d is a %s, not a table", n, type(r))) end
    local cells = {}
    for i, c in ipairs(columns) do cells[i] = csv_cell(r[c]) end
    lines[#lines + 1] = concat(cells, ",")
    if #lines >= 1000 then sh.write(concat(lines, "\n") .. "\n"); lines = {} end
  end
  if #lines > 0 then sh.write(concat(lines, "\n") .. "\n") end
end

function out.json(value)
  sh.write(sh.json(plain(value)) .. "\n")
end
kf.out = E.readonly(out, "table 'kf.out'")

local function script_print(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  sh.write(concat(parts, "\t") .. "\n")
end

-- The clock and dates, as workflows have them.
for _, name in ipairs({ "now", "today", "age", "days_between", "duration" }) do kf[name] = E.kf[name] end

local script_kf = E.readonly(kf, "table 'kf'")

-- script_run(path, args, opts): run the script at path with arg = args (arg[0] = path);
-- opts.reveal: the script sees sensitive values (the caller has recorded why).
function E.script_run(path, args, opts)
  reveal = type(opts) == "table" and opts.reveal == true
  local source, err = host.read_file(path)
  if not source then return nil, "invalid", err end
  local arg = { [0] = path }
  for i, a in ipairs(args or {}) do arg[i] = a end
  local _, rerr = E.run(path, source, { kf = script_kf, print = script_print, arg = arg })
  if rerr then return nil, "invalid", rerr end
  return true
end
