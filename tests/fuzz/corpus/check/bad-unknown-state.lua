return workflow {
  name = "bad", roles = { "worker" }, initial = "open",
  states = { { "open" }, { "done", final = true } },
  transitions = { { "go", from = "open", to = "stage_one", by = { "worker" } } },
}
