return scenarios "coparenthood" {
  { "tiny", now = "2026-01-05T09:00:00Z", steps = {
      { member = "child", name = "Ava Example", data = { dob = "2019-03-02" } },
      { fire = "match", as = "caseworker", refused = "consent" },
      { submit = "consent_to_share", data = { consent = true, given_by = "Robin" } },
      { advance = "29d" },
      { expect = { state = "referral", overdue = false, as = "caseworker", moves = { "close" } } },
  } },
}
