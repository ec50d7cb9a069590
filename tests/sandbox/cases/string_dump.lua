-- expect: field 'dump'
-- string.dump makes bytecode, which can crash the VM when loaded.
local code = string.dump(function() return 1 end)
