-- expect: CPU budget exceeded
-- The message handler runs when the budget error is raised: it must not get unbounded
-- time (an error raised from the count hook calls the handler with hooks disabled).
xpcall(function() while true do end end, function() while true do end end)
