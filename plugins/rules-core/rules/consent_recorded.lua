-- Seed "Working in partnership": the family "agrees to be supported and to have personal
-- information shared". Consent is a record given by a member of the case for a purpose
-- (`kinflow consent give`, the case page, or the family's own page), from a date and maybe
-- until one; withdrawing it stops whatever needs it from the next request on.
return rule {
  name = "consent_recorded",
  description = "A member of the family has given consent to share information with the "
    .. "partner agencies (share_with_partners), and it is still current.",
  check = function(case)
    if case:consent("share_with_partners") then return true end
    local all = case:consents("share_with_partners")
    local last = all[#all]
    if not last then
      return false, "consent to share information has not been recorded"
    end
    local today = kf.today()
    if last.withdrawn_at then
      return false, "consent to share information was withdrawn on "
        .. last.withdrawn_at:sub(1, 10) .. "; nothing that needs it can go ahead"
    end
    if last["until"] and last["until"] < today then
      return false, "consent to share information expired on " .. last["until"]
        .. "; ask the family to renew it"
    end
    if last.from > today then
      return false, "consent to share information starts on " .. last.from
    end
    return false, "consent to share information has not been recorded"
  end,
}
