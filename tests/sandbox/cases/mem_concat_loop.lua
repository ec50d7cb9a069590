-- expect: memory limit exceeded
-- A concatenation loop that keeps every result.
local t = {}
for i = 1, 1e12 do t[#t + 1] = ("x"):rep(1000) .. i end
