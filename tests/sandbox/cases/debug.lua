-- expect: global 'debug'
-- No debug library: it reaches the registry, upvalues and hooks (the CPU budget).
debug.sethook()
local reg = debug.getregistry()
