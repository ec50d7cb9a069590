-- expect: stack overflow
-- Recursion through a C function (gsub calling back into Lua).
local function f(s) return (s:gsub(".", f)) end
f("ab")
