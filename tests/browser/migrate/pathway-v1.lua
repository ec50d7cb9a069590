-- tests/browser/migrate/pathway-v1.lua: version 1 of the browser test's two-version programme
-- (migrate.test.mjs); run.sh deploys it as pathway.lua.
return workflow {
  name = "pathway", title = "Pathway", roles = { "caseworker", "supervisor" }, initial = "intake",
  states = {
    { "intake", title = "Intake" },
    { "trust", title = "Building trust", review = "28d" },
    { "legacy", title = "Legacy stage" },
    { "done", title = "Done", final = true, outcome = "done" },
  },
  transitions = {
    { "start", from = "intake", to = "trust", by = { "caseworker" } },
    { "park", from = "intake", to = "legacy", by = { "caseworker" } },
    { "finish", from = { "trust", "legacy" }, to = "done", by = { "supervisor" } },
  },
}
