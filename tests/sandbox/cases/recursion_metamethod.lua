-- expect: stack overflow
-- Recursion through a metamethod (C calls between the Lua frames).
local t
t = setmetatable({}, { __index = function(self, k) return self[k] end })
local x = t.anything
