local t = {} for i = 1, 10 do t[i] = { tostring(i) } end
return workflow { name = "gen", roles = { "r" }, initial = "1", states = t, transitions = {} }
