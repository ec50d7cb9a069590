-- Checked first in the same `kinflow check` as victim.lua: it tries, quietly, every way
-- it knows to change the libraries and the kf table that all files share.
local function try(f) pcall(f) end
try(function() string.format = function() return "poisoned" end end)
try(function() getmetatable("").__index.format = function() return "poisoned" end end)
try(function() getmetatable(_G).__index.string = { format = function() return "poisoned" end } end)
-- pairs() on a read-only view must not hand out the table behind it
try(function() local _, raw = pairs(string); raw.format = function() return "poisoned" end end)
try(function() local _, raw = pairs(string); raw.upper = function() return "poisoned" end end)
try(function() local _, raw = pairs(table); raw.concat = function() return "poisoned" end end)
try(function() local _, raw = pairs(math); raw.floor = function() return -1 end end)
try(function() local _, raw = pairs(os); raw.time = function() return 0 end end)
try(function() local _, raw = pairs(utf8); raw.char = function() return "poisoned" end end)
try(function() local _, raw = pairs(kf); raw.today = function() return "1970-01-01" end end)
return workflow { name = "poison_libraries", roles = { "a" }, initial = "open",
  states = { { "open" }, { "closed", final = true } },
  transitions = { { "go", from = "open", to = "closed", by = { "a" } } } }
