-- expect: binary chunks are not allowed
-- Asking for binary mode explicitly.
assert(load("\27Lua\84\0", "chunk", "b"))
