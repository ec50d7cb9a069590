-- expect: CPU budget exceeded
-- pcall must not swallow the budget error: each attempt is caught, the loop goes on.
for i = 1, 1e12 do
  pcall(function() while true do end end)
end
