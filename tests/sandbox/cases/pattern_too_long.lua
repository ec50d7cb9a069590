-- expect: pattern longer than
local r = ("x"):rep(300):find(("x"):rep(300))
