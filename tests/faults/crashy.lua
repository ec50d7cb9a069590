-- tests/faults/crashy.lua: the workflow tests/cli/crash.sh and faults.sh drive: a guard, actions,
-- on_enter/on_exit, a form, an `after` timer and a review. tests/faults/invariants.sql knows it.
return workflow {
  name = "crashy",
  roles = { "worker", "supervisor" },
  initial = "intake",
  forms = { form { name = "visit", title = "Visit",
    fields = { { "visit_date", type = "date", required = true },
               { "n", type = "number", min = 0 },
               { "mood", type = "choice", choices = { "settled", "unsettled" } },
               { "notes", type = "text" } } } },
  states = {
    { "intake" },
    { "active", review = "7d", forms = { "visit" } },
    { "lapsed", final = true, outcome = "lapsed" },
    { "done", final = true, outcome = "done" },
  },
  transitions = {
    { "start", from = "intake", to = "active", by = { "worker" },
      action = function(case) case.data.starts = (case.data.starts or 0) + 1 end },
    { "pause", from = "active", to = "intake", by = { "worker" },
      when = { function(case)
        if case.data.hold then return false, "the case is on hold" end
        return true
      end } },
    { "lapse", from = "intake", to = "lapsed", after = "3d" },
    { "finish", from = "active", to = "done", by = { "supervisor" }, requires = { "visit" } },
  },
  on_enter = { active = function(case) case.data.entered_active = kf.now() end },
  on_exit = { active = function(case) case.data.left_active = (case.data.left_active or 0) + 1 end },
}
