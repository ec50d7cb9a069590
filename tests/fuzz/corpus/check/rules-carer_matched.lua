-- Seed "Co-parenthood": "Carers support a whole family with support from a professional
-- parent advocate called the Family Link." A family is matched when a carer and a Family
-- Link worker are both recorded on the case (members with roles "carer" and "family_link").
return rule {
  name = "carer_matched",
  description = "A carer and a Family Link worker are matched with the family.",
  check = function(case)
    local missing = {}
    if #case:members("carer") == 0 then
      missing[#missing + 1] = "no carer has been matched with the family yet"
    end
    if #case:members("family_link") == 0 then
      missing[#missing + 1] = "no Family Link worker has been allocated yet"
    end
    if #missing > 0 then return false, table.concat(missing, "; ") end
    return true
  end,
}
