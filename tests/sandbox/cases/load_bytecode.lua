-- expect: binary chunk
-- load() takes text only: a bytecode header is refused (load returns nil, message).
assert(load("\27Lua\84\0\25\147\13\10\26\10\4\8\8"))
