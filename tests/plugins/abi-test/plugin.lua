-- A test plugin that exercises every function of the C plugin API (abi_test.c).
return plugin { name = "abi-test", version = "1.2.3", description = "exercises every kf_api function" }
