-- expect: __gc metamethods are not allowed
-- A finalizer runs at some later moment, outside any budget (even at lua_close).
setmetatable({}, { __gc = function() while true do end end })
