-- expect: field 'dump'
-- The same through a string's methods (the string metatable's __index).
local code = ("").dump(function() return 1 end)
