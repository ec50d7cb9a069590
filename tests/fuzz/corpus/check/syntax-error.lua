return workflow { name = "x", states = { { "a" }, transitions = {
