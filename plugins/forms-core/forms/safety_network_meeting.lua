-- Safety and support network meeting. Seed "Parents partnering with carers": "parents and
-- carers attending safety and support network meetings together".
return form {
  name = "safety_network_meeting",
  title = "Safety and support network meeting",
  description = "A meeting of the family's safety and support network, attended by parents "
    .. "and carers together.",
  family = "read", -- the family sees it on their family page; staff record it
  fields = {
    { "meeting_date", label = "Meeting date", type = "date", required = true },
    -- Who was there is recorded as the people of the case, not as ticked boxes: the moves
    -- that rest on a meeting read each one's role (rules network_met_together and
    -- network_agrees_child_safe_at_home).
    { "members_present", label = "Members of the case present", type = "list", of = "member",
      required = true,
      help = "Everyone on the case who was there: parents, carers, workers, kin." },
    { "others_present", label = "Others present (not on the case)", type = "list", of = "text",
      help = "For example the child's teacher or a worker from another service." },
    { "strengths", label = "What is working well", type = "text" },
    { "worries", label = "What we are worried about", type = "text" },
    { "safety_goals", label = "What needs to happen", type = "text" },
    { "network_agrees_safe", label = "The network agrees the child can be safe at home",
      type = "boolean",
      help = "Answer yes only when the network agrees the safety plan keeps the child safe "
        .. "living at home." },
    { "next_meeting", label = "Next meeting", type = "date", future = true },
  },
}
