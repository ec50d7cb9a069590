-- expect: memory limit exceeded
local s = string.rep("x", 2^30)
