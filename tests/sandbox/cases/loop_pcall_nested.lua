-- expect: CPU budget exceeded
-- Nested pcalls, each catching what the inner one raised and starting over.
local function f()
  while true do pcall(f) end
end
f()
