-- expect: attempt to index a boolean value
-- The shared base behind a file's globals: its metatable is protected, so _G's
-- __index (the base every file falls back to) cannot be reached to poison it.
getmetatable(_G).__index.string = nil
