-- expect: memory limit exceeded
-- string.rep with a separator: 1M copies of 101 bytes (about 100 MiB, one allocation).
local s = ("x"):rep(2^20, ("y"):rep(100))
