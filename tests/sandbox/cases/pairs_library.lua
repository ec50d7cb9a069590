-- expect: read-only library 'string'
-- pairs() on a read-only library must not hand out the table behind it (its __pairs
-- returns next, TABLE): writing to that table would change string for every file.
local _, raw = pairs(string)
if type(raw) == "table" then pcall(function() raw.upper = nil end) end
if string.upper == nil then error("ESCAPED: pairs(string) gave the shared library table") end
string.upper = nil
