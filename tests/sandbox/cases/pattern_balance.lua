-- expect: pattern too costly
-- %b scans to the end of the text from every start: n^2 steps with no repetition item
-- (1 MiB of "(": minutes inside one C call).
local r = ("("):rep(2^20):find("%b()")
