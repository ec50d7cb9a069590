-- expect: CPU budget exceeded
-- Endless cheap protected calls, each failing.
while true do pcall(error, "again") end
