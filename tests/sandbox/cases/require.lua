-- expect: global 'require'
-- No loading modules (and through them C libraries).
local lfs = require("io")
