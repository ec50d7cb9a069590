-- A test plugin built for ABI 2 (before may_share was appended): it still loads.
return plugin { name = "abi-old", version = "0.2.0" }
