-- A test plugin adding a rule that rules-core already adds: refused, naming both.
return plugin { name = "abi-dup", version = "0.0.1" }
