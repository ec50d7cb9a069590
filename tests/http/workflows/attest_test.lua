-- tests/http/workflows/attest_test.lua: a programme whose form has an attested field (only an
-- acco_worker may endorse), a planned date and member fields, for tests/http/test_api.py.
return workflow {
  name = "attest_test", title = "Attested evidence (test)",
  roles = { "caseworker", "acco_worker", "parent", "supervisor" },
  initial = "open",
  forms = {
    form { name = "endorsement", title = "Endorsement",
      fields = { { "met_on", type = "date" },
                 { "next_meeting", type = "date", future = true },
                 { "acco_endorsed", type = "boolean", by = { "acco_worker" } },
                 { "worker_checked", type = "boolean", by = { "caseworker" } },
                 { "agreed_by", type = "member", roles = { "parent" } },
                 { "attendees", type = "list", of = "member" } } },
  },
  states = { { "open", forms = { "endorsement" } }, { "closed", final = true } },
  transitions = { { "close", from = "open", to = "closed", by = { "supervisor" } } },
}
