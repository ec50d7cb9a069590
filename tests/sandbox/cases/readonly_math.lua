-- expect: read-only library 'math'
math.pi = 3
