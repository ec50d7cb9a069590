-- For "Co-parenthood for young Aboriginal parents to keep families together" (seed
-- "Co-parenthood", possible adaptations). A young parent is a parent member under the
-- upper age, from the member's data.dob. The seed gives no age: 25 is this library's
-- default, an agency's choice, not the seed's.
return rule {
  name = "young_parent",
  description = "At least one parent on the case is under the agency's young parent age "
    .. "(setting young_parent_age, default 25).",
  check = function(case)
    local ok, limit = pcall(kf.setting, "young_parent_age")
    limit = ok and tonumber(limit) or 25
    local parents = case:members("parent")
    if #parents == 0 then return false, "no parent is recorded" end
    local unknown = {}
    for _, p in ipairs(parents) do
      local dob = p.data and p.data.dob
      local age = dob and kf.age(dob)
      if age and age < limit then return true end
      if not age then unknown[#unknown + 1] = p.name end
    end
    if #unknown > 0 then
      return false, "date of birth not recorded for " .. table.concat(unknown, ", ")
        .. "; this programme is for parents under " .. limit .. " (the agency's setting)"
    end
    return false, "no parent is under " .. limit .. "; this programme is for young parents "
      .. "(the agency's setting young_parent_age)"
  end,
}
