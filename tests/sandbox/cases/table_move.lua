-- expect: move
-- table.move loops in C over the whole range (1e15 slots of nothing: no memory, no
-- instructions counted, no end).
table.move({}, 1, 1e15, 2)
