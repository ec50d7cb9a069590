-- Home visit. Seed "Family Preservation and Reunification response": "Working with a family
-- regularly at home or in place where they feel comfortable"; seed "From consumer to
-- partner": peer workers "conduct co-visits with professionals to family homes".
return form {
  name = "family_home_visit",
  title = "Home visit",
  description = "A visit with the family at home or in a place where they feel comfortable.",
  family = "read", -- the family sees the visits on their family page; staff record them
  fields = {
    { "visit_date", label = "Date of visit", type = "date", required = true },
    { "place", label = "Where", type = "choice", required = true,
      choices = { "family_home", "carers_home", "place_family_chose", "office", "phone_or_video" } },
    { "visited_by", label = "Who visited", type = "list", of = "text", required = true,
      help = "The practitioner, and a peer worker on a co-visit." },
    -- seed "From consumer to partner": a peer worker on the case co-visits
    { "peer_worker", label = "Peer worker on a co-visit", type = "member",
      roles = { "peer_worker" },
      help = "A peer worker on the case (parents with lived experience, trained and employed "
        .. "to support other parents) who came on the visit." },
    { "present", label = "Who was there", type = "list", of = "text" },
    { "purpose", label = "Purpose", type = "text" },
    { "what_we_did", label = "What we did together", type = "text" },
    { "strengths_seen", label = "Strengths we saw", type = "text" },
    { "next_visit", label = "Next visit", type = "date" },
  },
}
