-- expect: raised at level 3
-- error(msg, 3) points past the file into the engine's own Lua; the refusal must
-- still name this file.
error("raised at level 3", 3)
