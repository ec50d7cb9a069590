-- expect: CPU budget exceeded
-- A loop whose body is one expensive C call (sorting 1M numbers, ~0.4 s each): few VM
-- instructions run, so an instruction-counting hook rarely fires; the wall-clock
-- deadline must still stop it.
local t = {}
for i = 1, 2^20 do t[i] = i end
for j = 1, 1e9 do table.sort(t) end
