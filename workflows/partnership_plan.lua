-- Partnership plan, after the Children's Teams way of working in partnership.
--
-- Seed "Working in partnership": "Partnership means working alongside the family and
-- whānau, not without them." "It is voluntary to participate in a Children's Team. The
-- family/whānau agrees to be supported and to have personal information shared to help them
-- achieve the goals set out in their plan." "Lead Professionals first builds an open,
-- trusting relationship with the child, family and whānau ... They make decisions with them,
-- not for them." "The Children's Team works closely with the child, family and whānau to
-- develop a plan." "We actively seek feedback from the child and their family/whānau."
--
-- So: relationship first; a voluntary agreement and consent to share (a consent record of a
-- family member) before any planning; the plan is made with the family, who agree it
-- themselves, and starting it is a shared decision; the family's own feedback before the
-- plan closes; withdrawing is the family's own move, at any time.

local function agreement_given(case)
  local a = case:latest("voluntary_agreement")
  if not (a and a.agrees_to_support == true) then
    return false, "the family/whānau has not agreed to be supported"
  end
  -- The agreement is the family's: agreed_by holds family members of the case (the form
  -- takes no one else; an entry from before it did may hold names), one of them still here.
  local current, gone = 0, {}
  for _, id in ipairs(a.agreed_by or {}) do
    local m = math.type(id) == "integer" and case:member(id) or nil
    if m and not m.ended_at then current = current + 1
    else gone[#gone + 1] = m and m.name or tostring(id) end
  end
  if current == 0 then
    return false, "the voluntary agreement was not given by a family member on the case ("
      .. table.concat(gone, ", ") .. "): the family/whānau agree, not the team"
  end
  if a.understands_voluntary ~= true then
    return false, "the family/whānau has not been told that taking part is voluntary"
  end
  return true
end

local function current_plan(case)
  local plans = case:entries("childrens_team_plan")
  return plans[#plans]
end

return workflow {
  name = "partnership_plan",
  title = "Children's Team partnership plan",
  description = "Working alongside the child, family and whānau to make and work a plan "
    .. "centred on the children's needs: voluntary, with consent to share information, "
    .. "decisions made with them, not for them.",
  roles = { "lead_professional", "team_member", "family", "supervisor" },
  -- The child, family and whānau: members of the case with the role "family" sign in to
  -- their family page, agree the plan, give feedback, and may withdraw.
  family_roles = { "family" },
  initial = "referral",

  states = {
    { "referral", title = "Referral to the Children's Team",
      description = "The Children's Team receives the referral and allocates a Lead "
        .. "Professional." },
    { "relationship", title = "Building an open, trusting relationship",
      description = "The Lead Professional gets to know the child, family and whānau and "
        .. "establishes a relationship of trust and respect. The family decides whether "
        .. "to take part and to have information shared.",
      forms = { "voluntary_agreement" },
      review = "4w" },
    { "planning", title = "Developing the plan together",
      description = "The child, family and whānau and the Children's Team develop a plan "
        .. "centred on the children's needs: shared aims, goals, and who does what.",
      forms = { "childrens_team_plan" } },
    { "working", title = "Working the plan",
      description = "Everyone does their part; progress is reviewed with the family, and "
        .. "feedback is sought from the child and their family/whānau.",
      forms = { "review", "childrens_team_plan", "goals", "family_home_visit", "case_note",
                "service_referral", "support_delivered", "family_feedback" },
      review = "6w" },
    { "goals_achieved", title = "Goals achieved", final = true, ended_by = "goals_met", outcome = "goals_achieved",
      description = "The family achieved the goals set out in their plan." },
    { "withdrawn", title = "Family withdrew", final = true, ended_by = "family", outcome = "withdrawn",
      description = "The family chose not to continue: taking part is voluntary." },
    { "not_allocated", title = "Not allocated in time", final = true, ended_by = "service",
      outcome = "not_allocated",
      description = "The Children's Team did not allocate a Lead Professional in time: the "
        .. "service's shortfall, not the family's." },
    { "closed", title = "Closed", final = true, ended_by = "other", outcome = "closed",
      description = "Closed for another reason, recorded when it closed." },
  },

  transitions = {
    { "allocate", title = "Allocate a Lead Professional",
      from = "referral", to = "relationship", by = { "team_member", "supervisor" },
      when = { function(case)
        if #case:members("lead_professional") == 0 then
          return false, "no Lead Professional has been named for the family"
        end
        return true
      end } },

    { "lapse", title = "Referral lapsed: not allocated in time", from = "referral",
      to = "not_allocated", after = "28d" },

    { "agree", title = "Family agrees to take part",
      from = "relationship", to = "planning", by = { "lead_professional" },
      requires = { "voluntary_agreement" },
      when = { agreement_given, "consent_recorded" },
      description = "The family/whānau agrees to be supported and to have personal "
        .. "information shared: only then does planning start." },

    -- "They make decisions with them, not for them": the family agrees the plan themselves.
    { "agree_plan", title = "Agree the plan",
      from = "planning", stay = true, by = { "family" },
      when = { function(case)
        if not current_plan(case) then return false, "no plan has been written yet" end
        return true
      end },
      action = function(case)
        case.data.plan_agreed = { plan = current_plan(case).id, on = kf.today() }
      end,
      description = "The family reads the plan made with them and agrees it." },

    { "start_plan", title = "Start working the plan",
      from = "planning", to = "working", by = { "lead_professional" },
      requires = { "childrens_team_plan" },
      decision = true,
      when = { "consent_recorded",
               function(case)
                 local plan, agreed = current_plan(case), case.data.plan_agreed
                 if plan and not (agreed and agreed.plan == plan.id) then
                   return false, "the family has not agreed the current plan (of "
                     .. plan.data.plan_date .. "); they agree it from their family page"
                 end
                 return true
               end,
               function(case)
                 local plan = case:latest("childrens_team_plan")
                 if not plan then return false, "no plan has been recorded" end
                 if plan.decided_with_family ~= true then
                   return false, "the plan must be made with the family/whānau, not for them"
                 end
                 if not plan.child_views or plan.child_views == "" then
                   return false, "the child's views are not recorded in the plan"
                 end
                 return true
               end } },

    { "revise_plan", title = "Revisit the plan",
      from = "working", to = "planning", by = { "lead_professional", "family" },
      description = "The family or the Lead Professional asks to revisit the plan." },

    -- "We actively seek feedback from the child and their family/whānau": in their own words,
    -- from their family page, since the plan started.
    { "achieve", title = "Goals achieved",
      from = "working", to = "goals_achieved", by = { "lead_professional" },
      requires = { "review" },
      when = { function(case)
        local r = case:latest("review")
        if not (r and r.goals_met == true) then
          return false, "the last review did not find the plan's goals met"
        end
        local feedback = case:entries("family_feedback")
        local last = feedback[#feedback]
        if not last or last.at < (case.data.plan_started_at or "") then
          return false, "seek feedback from the child and their family/whānau before closing "
            .. "(they give it from their family page)"
        end
        return true
      end, "family_feedback_sought" } },

    -- "It is voluntary to participate in a Children's Team."
    { "withdraw", title = "Family withdraws", from = "*", to = "withdrawn", by = { "family" },
      reason = true,
      description = "Taking part is voluntary: the family may withdraw at any time, saying why "
        .. "in their own words (their feedback is welcome too)." },

    { "close", title = "Close", from = "*", to = "closed", by = { "supervisor" },
      reason = true,
      description = "Close for another reason, giving it." },
  },

  on_enter = {
    planning = function(case)
      case.data.agreed_on = case.data.agreed_on or kf.today()
    end,
    working = function(case)
      case.data.plan_started_on = case.data.plan_started_on or kf.today()
      case.data.plan_started_at = kf.now()
      case.data.plan_goals = #case:latest("childrens_team_plan").goals
    end,
    goals_achieved = function(case) case.data.ended_on = kf.today() end,
    withdrawn = function(case) case.data.ended_on = kf.today() end,
    not_allocated = function(case) case.data.ended_on = kf.today() end,
    closed = function(case) case.data.ended_on = kf.today() end,
  },

  forms = {
    form {
      name = "voluntary_agreement",
      title = "Voluntary agreement",
      description = "The family/whānau agrees to be supported by the Children's Team.",
      fields = {
        { "agreed_on", label = "Date", type = "date", required = true },
        { "agreed_by", label = "Agreed by (family members of the case)", type = "list",
          of = "member", roles = { "family" }, required = true,
          help = "The family/whānau agree, not the team: only members of the case with the "
            .. "role family." },
        { "agrees_to_support", label = "The family/whānau agrees to be supported",
          type = "boolean", required = true },
        { "understands_voluntary", label = "The family/whānau knows taking part is voluntary "
          .. "and they may stop at any time", type = "boolean", required = true },
        { "notes", label = "Notes", type = "text" },
      },
    },
    form {
      name = "childrens_team_plan",
      title = "Children's Team plan",
      description = "The plan, centred on the needs of the children and focussed on helping "
        .. "the family and whānau to meet their needs.",
      family = "read",
      fields = {
        { "plan_date", label = "Date", type = "date", required = true },
        { "children_needs", label = "The children's needs", type = "text", required = true },
        { "strengths", label = "Strengths of the child, family and whānau", type = "text" },
        { "goals", label = "Goals", type = "list", of = "text", required = true },
        { "who_does_what", label = "Who does what", type = "text",
          help = "Recognise different expertise and roles: everyone knows how they will work "
            .. "together." },
        { "child_views", label = "The child's views", type = "text" },
        { "decided_with_family", label = "Decisions were made with the family/whānau, not "
          .. "for them", type = "boolean", required = true },
        { "review_date", label = "Review by", type = "date" },
      },
    },
  },
}
