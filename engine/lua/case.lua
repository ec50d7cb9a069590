-- engine/lua/case.lua: the `case` object workflow code sees (data, members, entries,
-- consent, schedule, cancel, emit) and the `kf` API (clock, dates, rules, actions). Effects are only
-- collected here, for the C runtime to store; nothing here decides whether a move may fire.
local E = ...
local host, lib = E.host, E.lib
local fmt = string.format
local q, negative = lib.q, lib.negative

---------------------------------------------------------------------------------------
-- The case object that workflow code sees

local internal = setmetatable({}, { __mode = "k" })
local methods = {}

local function self_of(c, what)
  local s = internal[c]
  if not s then error(what .. ": call it as case:" .. what .. "(...)", 3) end
  return s
end

-- The case's current members (of role, when given); with all = true, the members who left
-- too (their ended_at and ended_reason say when and why).
function methods.members(c, role, all)
  local s = self_of(c, "members")
  if role ~= nil and type(role) ~= "string" then error("members: give a role's name, or nil for every role", 2) end
  if not s.id then return {} end
  local out = {}
  for _, m in ipairs(host.members(s.id, role)) do
    if all == true or m.ended_at == nil then
      out[#out + 1] = { id = m.id, role = m.role, name = m.name, data = m.data or {},
                        ended_at = m.ended_at, ended_reason = m.ended_reason }
    end
  end
  return out
end

-- Cases linked to this one (as "sibling" or "continues"; nil: every link), both ways:
-- { id, ref, workflow, state, as, direction ("to": this case links to it, "from": it links
-- to this case) }.
function methods.links(c, as)
  local s = self_of(c, "links")
  if as ~= nil and type(as) ~= "string" then error("links: give a kind of link (\"sibling\", \"continues\") or nil", 2) end
  if not s.id then return {} end
  local out = {}
  for _, l in ipairs(host.links(s.id)) do
    if as == nil or l.as == as then
      out[#out + 1] = { id = l.case, ref = l.ref, workflow = l.workflow, state = l.state, as = l.as,
                        direction = l.direction }
    end
  end
  return out
end

-- One member by number, ended or not: { id, role, name, data, ended_at } or nil.
function methods.member(c, id)
  local s = self_of(c, "member")
  if math.type(id) ~= "integer" then error("member: give a member's number (a whole number)", 2) end
  return E.member_of(s.id, id)
end

function methods.entries(c, form)
  local s = self_of(c, "entries")
  if type(form) ~= "string" then error("entries: give a form name", 2) end
  if not s.id then return {} end
  local out = {}
  for i, e in ipairs(host.entries(s.id, form)) do
    out[i] = { id = e.id, form = e.form, data = e.data or {}, at = e.at, actor = e.actor, version = e.form_version,
               role = e.role }
  end
  return out
end

-- The shared decision recorded for a case's transition since the case entered its current
-- state ({id, for, decided, family_agreed, participants, recorded_by, recorded_at}), or nil.
function E.decision_for(c, transition)
  if c.id == nil then return nil end
  return host.decision(c.id, transition)
end

function methods.decision(c, transition)
  local s = self_of(c, "decision")
  if type(transition) ~= "string" then error("decision: give a transition's name", 2) end
  if not s.id then return nil end
  return host.decision(s.id, transition)
end

function methods.latest(c, form)
  local list = methods.entries(c, form)
  local last = list[#list]
  return last and last.data or nil
end

-- The consent for purpose that is current today (the engine's clock), or nil:
-- { id, member, name, role, purpose, from, until, recorded_by }.
function E.consent_of(case_id, purpose, what)
  if type(purpose) ~= "string" or not purpose:match("^[a-z][a-z0-9_]*$") or #purpose > 64 then
    error(fmt("%s: give a purpose (an identifier such as \"share_with_partners\"), not %s", what,
      type(purpose) == "string" and q(purpose) or tostring(purpose)), 3)
  end
  if not case_id then return nil end
  local k = host.consent(case_id, purpose, host.now():sub(1, 10))
  if not k then return nil end
  return { id = k.id, member = k.member, name = k.name, role = k.role, purpose = k.purpose,
           from = k.from, ["until"] = k["until"], recorded_by = k.recorded_by }
end

function methods.consent(c, purpose)
  return E.consent_of(self_of(c, "consent").id, purpose, "consent")
end

-- Every consent for purpose, oldest first, withdrawn and ended ones too (so that a rule can
-- say why there is none in force): { id, member, name, role, purpose, from, until,
-- recorded_by, withdrawn_at, withdrawn_by, withdrawn_reason, on_behalf }.
function methods.consents(c, purpose)
  local s = self_of(c, "consents")
  E.consent_of(nil, purpose, "consents") -- the purpose is checked as consent() checks it
  local out = {}
  if not s.id then return out end
  for _, k in ipairs(host.consents(s.id)) do
    if k.purpose == purpose then
      out[#out + 1] = { id = k.id, member = k.member, name = k.name, role = k.role,
                        purpose = k.purpose, from = k.from, ["until"] = k["until"],
                        recorded_by = k.recorded_by, withdrawn_at = k.withdrawn_at,
                        withdrawn_by = k.withdrawn_by, withdrawn_reason = k.withdrawn_reason,
                        on_behalf = k.on_behalf }
    end
  end
  return out
end

function methods.schedule(c, name, after)
  local s = self_of(c, "schedule")
  if not s.effects then error("schedule: a guard cannot schedule timers (use an action)", 2) end
  if type(name) ~= "string" then error("schedule: give the timer a name", 2) end
  local secs = type(after) == "string" and host.duration(after)
  if negative(after) or secs == 0 then
    error(fmt("schedule: after %s is %s: a timer needs a duration longer than zero (e.g. \"14d\")", after,
      secs == 0 and "zero" or "negative"), 2)
  end
  if not secs then error(fmt("schedule: %s is not a duration (e.g. \"14d\")", tostring(after)), 2) end
  local list = s.effects.schedules or {}
  s.effects.schedules = list
  list[#list + 1] = { name = name, due = host.iso(host.parse_time(host.now()) + secs) }
end

function methods.cancel(c, name)
  local s = self_of(c, "cancel")
  if not s.effects then error("cancel: a guard cannot cancel timers (use an action)", 2) end
  if type(name) ~= "string" then error("cancel: give the timer's name", 2) end
  local list = s.effects.cancels or {}
  s.effects.cancels = list
  list[#list + 1] = name
end

function methods.emit(c, kind, t)
  local s = self_of(c, "emit")
  if not s.effects then error("emit: a guard cannot record events (use an action)", 2) end
  if type(kind) ~= "string" or not kind:match("^[%w_%.%-]+$") then error("emit: give an event kind (letters, digits, _ . -)", 2) end
  if t ~= nil and type(t) ~= "table" then error("emit: the event's data must be a table", 2) end
  local list = s.effects.emits or {}
  s.effects.emits = list
  list[#list + 1] = { kind = kind, data = t or {} }
end

local case_mt = { __index = methods, __metatable = false }

-- What a C rule or action sees of a case.
function E.case_json(c)
  if type(c) ~= "table" then error("expected a case", 3) end
  return { id = rawget(c, "id"), ref = rawget(c, "ref"), workflow = rawget(c, "workflow"),
           state = rawget(c, "state"), data = rawget(c, "data") }
end

-- data: the data the object holds (c.data when nil). effects: the lists an action fills
-- ({} to start; the lists are made on first use), nil for a guard.
local function make_case(c, effects, data)
  if data == nil then data = c.data end
  local obj = setmetatable({ id = c.id, ref = c.ref, state = c.state, workflow = c.workflow,
                             data = type(data) == "table" and data or {} }, case_mt)
  internal[obj] = { id = c.id, effects = effects }
  return obj
end

---------------------------------------------------------------------------------------
-- The kf API for workflow code

local function parse_date(d)
  if type(d) ~= "string" then return nil end
  return host.parse_time(d)
end

local kf = {}
function kf.now() return host.now() end
function kf.today() return host.now():sub(1, 10) end
function kf.days_between(a, b)
  local ta, tb = parse_date(a), parse_date(b or kf.today())
  if not ta or not tb then return nil end
  return (tb - ta) // 86400
end
function kf.age(dob, on)
  if type(dob) ~= "string" then return nil end
  local y, m, d = dob:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y or not parse_date(dob) then return nil end
  local ty, tm, td = (on or kf.today()):match("^(%d%d%d%d)%-(%d%d)%-(%d%d)")
  if not ty then return nil end
  local age = tonumber(ty) - tonumber(y)
  if tonumber(tm) < tonumber(m) or (tonumber(tm) == tonumber(m) and tonumber(td) < tonumber(d)) then age = age - 1 end
  return age
end
function kf.duration(s) return host.duration(s) end
-- An agency setting the programme declares (settings = { name = { default, label } }): the
-- agency's value (a number when it reads as one), else the programme's default.
function kf.setting(name)
  if type(name) ~= "string" then error("kf.setting: give a setting's name", 2) end
  local def = E.current_def
  local decl = def and def.settings and def.settings[name]
  if name == "__order" or not decl then
    error(fmt("kf.setting: programme %s declares no setting %s (settings = { %s = { default = ..., label = ... } })",
      def and q(def.name) or "(none)", q(name), name), 2)
  end
  local v = host.setting(name)
  if v == nil then return decl.default end
  if type(decl.default) == "boolean" then return v == "true" end
  return tonumber(v) or v
end
E.current_def = nil
kf.rules = setmetatable({}, {
  __index = function(_, name)
    local r = E.find_rule(name, E.current_def)
    if not r then error("kf.rules: no rule " .. q(name), 2) end
    return function(case)
      return r.spec.check(case)
    end
  end,
  __newindex = function() error("kf.rules is read-only", 2) end,
  __metatable = false,
})
kf.actions = setmetatable({}, {
  __index = function(_, name)
    E.load_plugins()
    if not host.c_action_owner(name) then error("kf.actions: no action " .. q(name) .. " (see `kinflow plugins`)", 2) end
    return function(case, args)
      local changes = host.call_c_action(name, E.case_json(case), args)
      if changes and type(case) == "table" and type(rawget(case, "data")) == "table" then
        for k, v in pairs(changes) do case.data[k] = v end
      end
      return changes
    end
  end,
  __newindex = function() error("kf.actions is read-only", 2) end,
  __metatable = false,
})
E.kf = E.readonly(kf, "table 'kf'")

lib.make_case, lib.parse_date = make_case, parse_date
