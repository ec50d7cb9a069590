-- The contested programme of tests/http/test_multi.py: a case that flips between two states,
-- each flip a caseworker's move, so that clients on several servers can race for the same
-- move round after round.
return workflow {
  name = "multi_test",
  title = "Multi-server test programme",
  roles = { "caseworker" },
  initial = "left",
  states = {
    { "left", title = "Left" },
    { "right", title = "Right" },
    { "closed", title = "Closed", final = true, outcome = "closed" },
  },
  transitions = {
    { "go_right", from = "left", to = "right", by = { "caseworker" } },
    { "go_left", from = "right", to = "left", by = { "caseworker" } },
    { "close", from = { "left", "right" }, to = "closed", by = { "caseworker" } },
  },
}
