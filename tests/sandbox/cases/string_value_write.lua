-- expect: attempt to index a string value
-- Writing through a string value does not reach the string library either.
local s = ""
s.upper = nil
