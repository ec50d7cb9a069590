-- expect: pattern too costly
local r = string.gsub(string.rep("a", 300), "(.-)(.-)(.-)(.-)b", "%1")
