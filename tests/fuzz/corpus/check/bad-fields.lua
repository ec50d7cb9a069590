return workflow {
  name = "bad2", roles = { "worker", "worker" }, initial = "nowhere", requries = { "x" },
  states = { { "open", review = "28x" }, { "open" }, { "done", final = true, outcome = 3 } },
  transitions = {
    { "go", from = "*", to = "done", by = { "boss" }, when = { 42, "no_such_rule" } },
    { "lapse", from = "open", to = "done", after = "-1d" },
    { "back", from = "done", to = "open" },
  },
  on_enter = { nowhere = function(case) end },
}
