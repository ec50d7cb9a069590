-- The programme of tests/http/test_metrics.py: a waiting state with a review date and a
-- move its timer makes (lapse), a state watched by its review date only, a state whose timed
-- move a guard refuses while the case is on hold, and a worker's step that the same guard
-- refuses.
local function not_on_hold(case)
  if case.data.hold then return false, "the case is on hold" end
  return true
end

return workflow {
  name = "metrics_test",
  title = "Metrics test programme",
  roles = { "worker" },
  initial = "waiting",
  states = {
    { "waiting", title = "Waiting", review = "1d" },
    { "watch", title = "Watched", review = "1d" },
    { "guarded", title = "Guarded" },
    { "done", title = "Done", final = true, outcome = "done" },
  },
  transitions = {
    { "step", from = "waiting", to = "waiting", by = { "worker" }, when = { not_on_hold } },
    { "to_watch", from = "waiting", to = "watch", by = { "worker" } },
    { "to_guarded", from = "waiting", to = "guarded", by = { "worker" } },
    { "lapse", from = "waiting", to = "done", after = "2d" },
    { "close", from = "watch", to = "done", by = { "worker" } },
    { "expire", from = "guarded", to = "done", after = "2d", when = { not_on_hold } },
  },
}
