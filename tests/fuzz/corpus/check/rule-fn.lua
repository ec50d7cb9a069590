return rule { name = "old_enough", description = "the child is at least 5",
  check = function(case)
    local dob = case.data.dob
    if not dob then return false, "no date of birth" end
    return kf.age(dob) >= 5, "the child is younger than 5"
  end }
