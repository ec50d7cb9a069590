-- expect: read-only table 'kf'
-- The same through pairs(kf): the shared kf API table.
local _, raw = pairs(kf)
if type(raw) == "table" then pcall(function() raw.today = function() return "1970-01-01" end end) end
if kf.today() == "1970-01-01" then error("ESCAPED: pairs(kf) gave the shared kf table") end
kf.today = nil
