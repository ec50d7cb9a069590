-- Seed "Parents partnering with carers": "parents and carers attending safety and support
-- network meetings together". Passes when a safety and support network meeting (dated not
-- after today) was attended by someone, the parents and the carers among them.
return rule {
  name = "network_met_together",
  description = "Parents and carers have attended a safety and support network meeting "
    .. "together.",
  check = function(case)
    local today, seen = kf.today(), false
    for _, e in ipairs(case:entries("safety_network_meeting")) do
      local m = e.data
      if m.meeting_date and m.meeting_date <= today then
        seen = true
        if m.parent_attended == true and m.carer_attended == true and #(m.attendees or {}) > 0 then
          return true
        end
      end
    end
    if not seen then return false, "no safety and support network meeting has been held yet" end
    return false, "the parents and carers have not yet attended a safety and support network "
      .. "meeting together (who attended, and that both did, is recorded for each meeting)"
  end,
}
