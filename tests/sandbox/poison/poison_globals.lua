-- Checked first in the same `kinflow check` as victim.lua: it wrecks its own globals.
-- None of this may reach victim.lua, which has its own environment.
print = nil
_G.string = nil
table = nil
tostring = nil
assert = nil
kf = nil
_G.setmetatable = nil
_G.os = { time = function() return 0 end }
_G._G = nil
return workflow { name = "poison_globals", roles = { "a" }, initial = "open",
  states = { { "open" }, { "closed", final = true } },
  transitions = { { "go", from = "open", to = "closed", by = { "a" } } } }
