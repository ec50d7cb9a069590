-- expect: pattern too costly
for w in string.rep("a", 300):gmatch(".-.-.-.-b") do end
