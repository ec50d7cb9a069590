-- expect: global 'coroutine'
-- No coroutines: a yield across the engine's calls, or a coroutine left running.
local co = coroutine.wrap(function() while true do coroutine.yield() end end)
co()
