-- expect: attempt to index a boolean value
-- getmetatable("") must not hand out the string library (its __index).
local mt = getmetatable("")
local lib = mt.__index
lib.upper = nil
