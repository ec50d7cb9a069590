-- Seed "Working in partnership": the family "agrees to be supported and to have personal
-- information shared". Passes when the newest consent_to_share entry gives consent and has
-- not expired. A newer entry with consent = false means consent was withdrawn.
return rule {
  name = "consent_recorded",
  description = "Consent to share information has been given and is still current.",
  check = function(case)
    local entries = case:entries("consent_to_share")
    if #entries == 0 then
      return false, "consent to share information has not been recorded"
    end
    local latest = entries[#entries].data
    if latest.consent ~= true then
      if #entries > 1 then
        return false, "consent to share information has been withdrawn"
      end
      return false, "consent to share information has not been recorded"
    end
    if latest.expires_on and kf.days_between(kf.today(), latest.expires_on) < 0 then
      return false, "consent to share information expired on " .. latest.expires_on
        .. "; ask the family to renew it"
    end
    return true
  end,
}
