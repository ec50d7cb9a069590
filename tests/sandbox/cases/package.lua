-- expect: global 'package'
-- No package library: no loadlib, no searchers, no path.
local f = package.loadlib("libc.so.6", "system")
