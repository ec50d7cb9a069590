-- The programme of tests/http/test_group.py: one working state a worker steps through again
-- and again (each step counted in data.steps), a guard that refuses a case on hold, and a
-- way to close it.
return workflow {
  name = "group_test",
  title = "Group commit test programme",
  roles = { "worker" },
  initial = "active",
  states = {
    { "active", title = "Active" },
    { "closed", title = "Closed", final = true, outcome = "closed" },
  },
  transitions = {
    { "step", from = "active", to = "active", by = { "worker" },
      when = { function(case)
                 if case.data.hold then return false, "the case is on hold" end
                 return true
               end },
      action = function(case) case.data.steps = (case.data.steps or 0) + 1 end },
    { "close", from = "active", to = "closed", by = { "worker" } },
  },
}
