-- expect: global 'loadfile'
-- No loading other files.
local f = loadfile("/etc/passwd")
