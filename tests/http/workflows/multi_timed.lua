-- The timed programme of tests/http/test_multi.py: a waiting case lapses a day after it
-- opened (a timer), unless it is on hold, when the guard refuses the timed move. One timer
-- a case, so that every runner's share can be counted.
local function not_on_hold(case)
  if case.data.hold then return false, "the case is on hold" end
  return true
end

return workflow {
  name = "multi_timed",
  title = "Multi-server timed programme",
  roles = { "caseworker" },
  initial = "waiting",
  states = {
    { "waiting", title = "Waiting" },
    { "lapsed", title = "Lapsed", final = true, outcome = "lapsed" },
  },
  transitions = {
    { "lapse", from = "waiting", to = "lapsed", after = "1d", when = { not_on_hold } },
  },
}
