-- expect: memory limit exceeded
-- Many small tables (a different allocation pattern from one growing array).
local t = {}
for i = 1, 1e12 do t[i] = { i } end
