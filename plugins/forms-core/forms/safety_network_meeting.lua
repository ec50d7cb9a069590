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
    { "attendees", label = "Who attended", type = "list", of = "text", required = true },
    { "parent_attended", label = "Parents attended", type = "boolean" },
    { "carer_attended", label = "Carers attended", type = "boolean" },
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
