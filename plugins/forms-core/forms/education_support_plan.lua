-- Education support plan. Seed "Parents partnering with carers": "education support plan
-- development"; "parents having input to the child's daily routine and schooling
-- arrangements"; "parents attending events such as school sports days".
return form {
  name = "education_support_plan",
  title = "Education support plan",
  description = "The child's learning, supports and the parents' part in schooling.",
  fields = {
    { "plan_date", label = "Date of plan", type = "date", required = true },
    { "school", label = "School or early childhood service", type = "text", required = true },
    { "year_level", label = "Year level", type = "text" },
    { "strengths", label = "The child's strengths", type = "text" },
    { "supports", label = "Supports in place", type = "list", of = "text" },
    { "school_events_for_parents", label = "School events the parents will attend",
      type = "list", of = "text" },
    { "parent_contributed", label = "The parents contributed to developing this plan",
      type = "boolean" },
    { "next_review", label = "Next review of the plan", type = "date", future = true },
  },
}
