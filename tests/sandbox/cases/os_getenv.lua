-- expect: field 'getenv'
-- No reading the environment (secrets, database paths).
local home = os.getenv("HOME")
