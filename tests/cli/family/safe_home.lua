-- A small programme for tests/cli/family.sh: a parent and a carer share a communication
-- book, the parent signs the plan, a shared decision is needed to move on, and where a
-- parent lives is private (a victim-survivor's safe address).
return workflow {
  name = "safe_home",
  title = "A safe home",
  roles = { "caseworker", "parent", "carer" },
  family_roles = { "parent", "carer" },
  sensitive = { members = { "address" } },
  initial = "planning",
  states = {
    { "planning", title = "Making the plan", description = "We make the plan together.",
      forms = { "communication_book", "staff_notes", "plan_goals" }, review = "28d" },
    { "together", title = "Living the plan", forms = { "communication_book" } },
    { "moving_on", title = "Moving on" },
    { "closed", final = true, outcome = "moved on" },
  },
  transitions = {
    { "sign_plan", title = "Sign the plan", description = "The parent signs the plan.",
      from = "planning", to = "together", by = { "parent" } },
    { "prepare_move", title = "Prepare to move on", from = "together", to = "moving_on",
      by = { "caseworker" }, decision = true },
    { "close", from = "moving_on", to = "closed", by = { "caseworker" },
      when = function(case)
        local d = case:decision("close")
        if d and not d.family_agreed then return false, "the family did not agree: " .. d.decided end
        return true
      end },
    { "withdraw", from = "*", to = "closed", by = { "caseworker" }, reason = true },
  },
  forms = {
    form { name = "communication_book", title = "Communication book", family = true,
      by = { "parent", "carer" },
      fields = { { "note", type = "text", required = true, label = "What happened" },
                 { "next_visit", type = "date", label = "Next visit" } } },
    form { name = "plan_goals", title = "Our goals", family = "read",
      fields = { { "goal", type = "text", label = "Goal" },
                 { "where_we_meet", type = "text", sensitive = true } } },
    form { name = "staff_notes", title = "Staff notes",
      fields = { { "note", type = "text" } } },
  },
}
