-- tests/http/workflows/family_test.lua: a small programme for the family page's tests
-- (tests/http/test_family.py, tests/browser/family.test.mjs), independent of the shipped
-- library: a communication book the parents and carers fill (family = true), the plan's goals
-- they read (family = "read"), staff-only notes, a plan the parent signs (by = parent), and a
-- move to Stage 3 that needs a shared decision (decision = true). A member's address is private.
return workflow {
  name = "family_test",
  title = "Family partnership (test)",
  description = "Parents and carers make and keep a plan with their worker.",
  roles = { "parent", "carer", "child", "caseworker", "supervisor" },
  family_roles = { "parent", "carer" },
  initial = "planning",
  sensitive = { members = { "address" } },
  forms = {
    form { name = "communication_book", title = "Communication book", family = true,
      by = { "parent", "carer" },
      description = "Notes between the family, the carer and the worker.",
      fields = { { "note", type = "text", required = true, label = "What you want to say" } } },
    form { name = "plan_goals", title = "Our plan's goals", family = "read",
      fields = { { "goal", type = "text", required = true, label = "Goal" },
                 { "meeting_on", type = "date", label = "Next family meeting", future = true },
                 { "agreed_with", type = "member", label = "Agreed with" } } },
    form { name = "worker_notes", title = "Worker's notes",
      fields = { { "note", type = "text", required = true, label = "Note" } } },
  },
  states = {
    { "planning", title = "Making the plan together",
      description = "You and your worker write the plan's goals; you sign it when you agree.",
      forms = { "communication_book", "plan_goals", "worker_notes" }, review = "28d" },
    { "working", title = "Stage 2: Working on the plan",
      description = "Everyone does what the plan says, and the book keeps everyone in touch.",
      forms = { "communication_book", "plan_goals", "worker_notes" }, review = "28d" },
    { "preparing", title = "Stage 3: Getting ready to finish",
      forms = { "communication_book", "worker_notes" } },
    { "closed", title = "Closed", final = true, outcome = "closed" },
  },
  transitions = {
    { "sign_plan", title = "Sign the plan", from = "planning", to = "working", by = { "parent" },
      description = "You agree with the plan's goals." },
    { "prepare_finish", title = "Move to Stage 3", from = "working", to = "preparing",
      by = { "caseworker" }, decision = true,
      description = "Decided with the family: the plan's goals are met." },
    { "close", title = "Close", from = "*", to = "closed", by = { "supervisor" }, reason = true },
  },
}
