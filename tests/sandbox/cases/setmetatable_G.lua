-- expect: cannot change a protected metatable
-- Detaching a file's globals from their protected metatable.
setmetatable(_G, nil)
