-- expect: pattern too costly
-- '?' backtracks too: a?^n a^n against a^n takes 2^n steps (n = 40: forever), inside
-- one C call where no hook fires.
local n = 40
local r = ("a"):rep(n):find(("a?"):rep(n) .. ("a"):rep(n))
