-- The reference workload's programme (../shared/BENCH-REFERENCE.md, bench/reference.c):
-- referral → stage1 → stage2 → stage3 → restored, each forward move guarded by the
-- family's consent and setting data.stage to its number; without consent, closed.
local function consent(case)
  if case.data.consent == true then return true end
  return false, "the family has not consented"
end

local function advance(n, from, to)
  return { "advance_" .. n, from = from, to = to, by = { "worker" }, when = { consent },
           action = function(case) case.data.stage = n end }
end

return workflow {
  name = "reference",
  title = "Reference workload",
  roles = { "worker" },
  initial = "referral",
  states = {
    { "referral", title = "Referral" },
    { "stage1", title = "Stage 1" },
    { "stage2", title = "Stage 2" },
    { "stage3", title = "Stage 3" },
    { "restored", title = "Restored", final = true, outcome = "restored" },
    { "closed", title = "Closed", final = true, outcome = "closed" },
  },
  transitions = {
    advance(1, "referral", "stage1"),
    advance(2, "stage1", "stage2"),
    advance(3, "stage2", "stage3"),
    advance(4, "stage3", "restored"),
    { "close", from = { "referral", "stage1", "stage2", "stage3" }, to = "closed",
      by = { "worker" },
      when = { function(case) return case.data.consent ~= true, "the family consented" end } },
  },
}
