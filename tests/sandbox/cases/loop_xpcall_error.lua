-- expect: CPU budget exceeded
-- An ordinary error whose message handler never returns: once the budget error is raised
-- from the count hook inside the handler, the handler is called again for it, with hooks
-- disabled, and nothing stops it.
xpcall(error, function() while true do end end)
