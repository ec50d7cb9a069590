-- expect: stack overflow
-- Recursion in the parser: deeply nested parentheses given to load().
local depth = 10000
assert(load("return " .. ("("):rep(depth) .. "1" .. (")"):rep(depth)))
