-- home-visits: a plugin written only from DESIGN.md's contract, its form and its rule
-- declared in plugin.lua itself (tests/cli/plugin_forms.sh tries it as a new user would).
return plugin {
  name = "home-visits",
  version = "0.1.0",
  description = "A home visit form, and a guard that the latest visit found the child settled.",
  forms = {
    form { name = "home_visit", title = "Home visit",
      fields = {
        { "visit_date", type = "date", required = true },
        { "mood", type = "choice", choices = { "settled", "unsettled" } },
        { "present", type = "list", of = "text" },
        { "address", type = "text", sensitive = true },
      } },
  },
  rules = {
    rule { name = "visit_settled", description = "the latest home visit found the child settled",
      check = function(case)
        local visit = case:latest("home_visit")
        if not visit then return false, "no home visit is recorded" end
        if visit.mood ~= "settled" then return false, "the latest home visit found the child unsettled" end
        return true
      end },
  },
}
