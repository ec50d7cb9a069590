-- expect: memory limit exceeded
-- A concatenation loop that keeps every result (10 kB each: the cap, not the clock, stops it
-- even on a loaded machine under ASan).
local t = {}
for i = 1, 1e12 do t[#t + 1] = ("x"):rep(10000) .. i end
