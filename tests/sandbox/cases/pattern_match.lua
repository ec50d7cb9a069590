-- expect: pattern too costly
local r = string.match(string.rep("a", 300), "^(.*)(.*)(.*)(.*)(.*)b")
