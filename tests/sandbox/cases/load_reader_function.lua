-- expect: only text chunks
-- A reader function could hand over bytecode piece by piece.
local parts = { "\27Lua", "\84\0" }
local i = 0
assert(load(function() i = i + 1; return parts[i] end))
