-- Partnering activities: the ways parents and carers agree to co-parent. The choices are the
-- list in seed "Parents partnering with carers" ("Some ways parents and carers can partner
-- and co-parent children include: ..."), and the processes list that follows it.
return form {
  name = "partnering_activities",
  title = "Partnering activities",
  description = "The ways the parents and carers have agreed to partner and co-parent the "
    .. "child. Set this expectation with the parent from day one: they don't stop being "
    .. "parents when their children enter care.",
  family = "read", -- the family sees it on their family page; staff record it
  fields = {
    { "agreed_on", label = "Date agreed", type = "date", required = true },
    { "activities", label = "Ways we will co-parent", type = "list", of = "choice",
      required = true,
      choices = {
        "speak_positively",            -- speaking positively of each other at all times
        "communication_book",          -- a communication book where the carer provides updates
        "network_meetings_together",   -- attending safety and support network meetings together
        "parent_has_carer_contacts",   -- parents having the contact details of the carers
        "parent_input_routine_school", -- parents' input to daily routine and schooling
        "nurture_during_contact",      -- nurturing the child for the grief and loss at the end
        "carer_attends_contact",       -- carers attending family contact
        "carer_meets_family",          -- carers meeting parents and extended family
        "celebration_calls",           -- phone calls to celebrate momentous occasions
        "photos_of_occasions",         -- carers taking photos of momentous occasions for parents
        "parent_attends_activities",   -- parents attending the child's activities with carers
        "parent_attends_school_events",-- parents attending events such as school sports days
        "parent_attends_doctor_visits",-- parents attending doctors' visits with the carer
        "cultural_information",        -- parents providing cultural information to the carer
        "clear_roles",                 -- being clear on each other's roles in the child's life
        "your_child",                  -- carers referring to the child as 'your child'
        "names_decided_together",      -- deciding together what the child calls each of them
        "daily_decisions_together",    -- carers talking with parents about daily decisions
        "welcome_home_visits",         -- carers welcoming parents into their home for visits
        -- For Co-parenthood for a safe place, where parent and carer share a home (an
        -- adaptation of the seed's list, not in it):
        "shared_daily_log",            -- parent and carer keep a shared daily log
        "safety_planning_together",    -- parent and carer plan for safety together
      },
      help = "speak_positively: speaking positively of each other at all times. "
        .. "communication_book: having a communication book where the carer provides updates "
        .. "on the child for the parent. "
        .. "network_meetings_together: parents and carers attending safety and support network "
        .. "meetings together. "
        .. "parent_has_carer_contacts: parents having the contact details of the carers. "
        .. "parent_input_routine_school: parents having input to the child's daily routine and "
        .. "schooling arrangements. "
        .. "nurture_during_contact: nurturing the child during family contact to prepare them "
        .. "for the grief and loss at the end of family contact. "
        .. "carer_attends_contact: carers attending family contact. "
        .. "carer_meets_family: carers meeting the parents and extended family members "
        .. "important to the child. "
        .. "celebration_calls: carers placing phone calls to parents to celebrate momentous "
        .. "occasions (for example, the child scoring a goal at football) and parents being "
        .. "able to call the carer to share their success stories with their children (for "
        .. "example, the parent got a job). "
        .. "photos_of_occasions: carers taking photos of momentous occasions and providing "
        .. "them to parents. "
        .. "parent_attends_activities: parents attending their child's activities (such as "
        .. "sporting games) with the carers. "
        .. "parent_attends_school_events: parents attending events such as school sports days. "
        .. "parent_attends_doctor_visits: parents attending doctors' visits and supporting "
        .. "their child (together with the carer). "
        .. "cultural_information: parents providing cultural information to the carer and "
        .. "showing them how they can support their child's cultural needs. "
        .. "clear_roles: parents and carers being clear on each other's roles in the child's "
        .. "life. "
        .. "your_child: carers referring to the child as 'your child' when speaking with the "
        .. "parents. "
        .. "names_decided_together: parents and carers deciding together what name/title the "
        .. "child should call them/introduce carers as, for example, 'for now parents', "
        .. "'aunty', 'mum' and so on. "
        .. "daily_decisions_together: carers talking with the parents directly about daily "
        .. "decisions such as haircuts, style of clothes and so on. "
        .. "welcome_home_visits: carers welcoming parents into their home for visits. "
        .. "shared_daily_log (a safe place, where parent and carer share a home): a daily log "
        .. "the parent and carer keep together. "
        .. "safety_planning_together (a safe place): the parent and carer plan for the "
        .. "family's safety together." },
    { "processes", label = "Processes the parents will contribute to", type = "list",
      of = "choice",
      choices = { "case_plan", "cultural_support_plan", "education_support_plan",
                  "child_information", "psu_referral", "child_health_passport" },
      help = "A snapshot of activities, processes and meetings parents can actively "
        .. "contribute to, attend and participate in: case plan and cultural support plan "
        .. "development, education support plan development, child information form, PSU "
        .. "referral, child health passport." },
    { "child_calls_carer", label = "What the child will call the carers", type = "text",
      help = "For example 'for now parents', 'aunty'." },
    { "other", label = "Other ways we will partner", type = "list", of = "text" },
  },
}
