-- The programme the bench fires: one working state that a worker steps through again and
-- again (a sandboxed guard, a role check, a data change in the action, a review timer
-- cancelled and rescheduled on each entry), and a way to close it.
return workflow {
  name = "bench",
  title = "Benchmark programme",
  roles = { "worker", "supervisor" },
  initial = "active",
  states = {
    { "active", title = "Active", review = "28d" },
    { "closed", title = "Closed", final = true, outcome = "closed" },
  },
  transitions = {
    { "step", from = "active", to = "active", by = { "worker" },
      when = { function(case)
                 if case.data.hold then return false, "the case is on hold" end
                 return true
               end },
      action = function(case) case.data.steps = (case.data.steps or 0) + 1 end },
    { "close", from = "active", to = "closed", by = { "supervisor" }, reason = true },
  },
}
