-- expect: pattern too costly
-- In gmatch a leading '^' is no anchor (it matches a literal '^' at every position), so
-- ".-" runs from every start: n^2 steps inside the first call of the iterator.
for m in ("^"):rep(2^20):gmatch("^.-b") do end
