-- A test plugin whose init registers a rule and then fails: nothing may remain.
return plugin { name = "abi-bad-init", version = "0.0.1" }
