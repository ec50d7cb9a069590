-- expect: global 'io'
-- The io library is removed: no reading or writing files.
local f = io.open("/etc/passwd", "r")
