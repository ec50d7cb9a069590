-- expect: CPU budget exceeded
while true do end
