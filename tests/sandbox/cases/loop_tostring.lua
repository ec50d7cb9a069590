-- expect: CPU budget exceeded
-- A __tostring metamethod that never returns, called from C (tostring).
local s = tostring(setmetatable({}, { __tostring = function() while true do end end }))
