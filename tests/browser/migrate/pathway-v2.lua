-- tests/browser/migrate/pathway-v2.lua: version 2: trust renamed building_trust, legacy gone, a new
-- required form and a move back (migrate.test.mjs); run.sh deploys it as pathway.lua.
return workflow {
  name = "pathway", title = "Pathway", roles = { "caseworker", "supervisor" }, initial = "intake",
  forms = { form { name = "safety_check", title = "Safety check",
                   fields = { { "checked_on", type = "date", required = true } } } },
  states = {
    { "intake", title = "Intake" },
    { "building_trust", title = "Building trust", review = "7d" },
    { "done", title = "Done", final = true, outcome = "done" },
  },
  transitions = {
    { "start", from = "intake", to = "building_trust", by = { "caseworker" } },
    { "finish", from = "building_trust", to = "done", by = { "supervisor" }, requires = { "safety_check" } },
    { "step_back", from = "building_trust", to = "intake", by = { "caseworker" } },
  },
}
