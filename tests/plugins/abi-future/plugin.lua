-- A test plugin built for an ABI newer than the host's: refused before any of its code runs.
return plugin { name = "abi-future", version = "9.0.0" }
