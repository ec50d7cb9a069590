-- expect: CPU budget exceeded
-- A to-be-closed variable whose __close never returns (runs when the block ends).
local x <close> = setmetatable({}, { __close = function() while true do end end })
