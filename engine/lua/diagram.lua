-- engine/lua/diagram.lua: a workflow as a Graphviz DOT diagram (`kinflow diagram`), from a
-- file or a deployed version. It only reads definitions.
local E = ...
local host, lib = E.host, E.lib
local fmt, concat = string.format, table.concat
local q, export = lib.q, lib.export

---------------------------------------------------------------------------------------
-- Diagrams (Graphviz DOT)

local function dot_str(s) return '"' .. tostring(s):gsub('[\\"]', "\\%0"):gsub("\n", "\\n") .. '"' end

function E.diagram(what)
  local def
  if what:sub(-4) == ".lua" then
    local res = E.check({ { path = what, source = assert(host.read_file(what)) } })
    if #res.messages > 0 then
      local m = res.messages[1]
      return nil, "invalid", fmt("%s:%d: %s", m.path, m.line, m.msg)
    end
    local f = res.files[#res.files]
    if f.kind ~= "workflow" then return nil, "invalid", what .. " is not a workflow" end
    def = f.definition
  else
    local row = host.has_store() and host.def("workflow", what)
    if not row then return nil, "notfound", fmt("no workflow %s is deployed (give a name from `kinflow workflows`, or a file)", q(what)) end
    def = export(E.version(row.id))
  end
  local out = { fmt("digraph %s {", dot_str(def.name)),
    "  rankdir=LR;",
    fmt("  label=%s; labelloc=t; fontname=\"Helvetica\";", dot_str((def.title or def.name) .. (def.base and (" (adapts " .. def.base .. ")") or ""))),
    "  node [shape=box, style=rounded, fontname=\"Helvetica\"];",
    "  edge [fontname=\"Helvetica\", fontsize=10];" }
  for _, s in ipairs(def.states) do
    local attrs = { "label=" .. dot_str(s.title ~= s.name and (s.title .. "\n(" .. s.name .. ")") or s.name) }
    if s.final then attrs[#attrs + 1] = "peripheries=2" end
    if s.name == def.initial then attrs[#attrs + 1] = "penwidth=2" end
    if s.adapted then attrs[#attrs + 1] = "color=blue, fontcolor=blue" end
    out[#out + 1] = fmt("  %s [%s];", dot_str(s.name), concat(attrs, ", "))
  end
  for _, t in ipairs(def.transitions) do
    local froms = t.from
    if froms == "*" then
      froms = {}
      for _, s in ipairs(def.states) do if not s.final then froms[#froms + 1] = s.name end end
    end
    local label = t.name
    if t.by then label = label .. "\n(" .. concat(t.by, ", ") .. ")" end
    if t.after then label = label .. "\nafter " .. t.after end
    local attrs = { "label=" .. dot_str(label) }
    if t.after and not t.by then attrs[#attrs + 1] = "style=dashed" end
    if t.from == "*" then attrs[#attrs + 1] = "style=dotted" end
    if t.adapted then attrs[#attrs + 1] = "color=blue, fontcolor=blue" end
    for _, f in ipairs(froms) do
      out[#out + 1] = fmt("  %s -> %s [%s];", dot_str(f), dot_str(t.to or f), concat(attrs, ", "))
    end
  end
  out[#out + 1] = "}"
  return concat(out, "\n") .. "\n"
end
