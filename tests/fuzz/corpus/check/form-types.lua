return form { name = "home_visit", title = "Home visit",
  fields = { { "visit_date", type = "date", required = true },
             { "mood", type = "choice", choices = { "settled", "unsettled" } },
             { "count", type = "number", min = 0, max = 10 },
             { "ok", type = "boolean" },
             { "present", type = "list", of = "text" },
             { "address", type = "text", sensitive = true },
             { "bad", type = "colour" } } }
