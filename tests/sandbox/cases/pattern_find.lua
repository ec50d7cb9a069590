-- expect: pattern too costly
local r = string.rep("a", 300):find(".-.-.-.-.-.-.-.-b")
