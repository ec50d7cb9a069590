-- Social capital. Seed "Co-parenthood", Stage 3: "Preparing for restoration, expanding
-- social capital and maintaining behaviour change"; carers and parents "working to build
-- parent resilience, parenting skills and social networks".
return form {
  name = "social_capital",
  title = "The family's network and what keeps change going",
  description = "Who is in the family's own network beyond the service, and what will keep "
    .. "the change going after it ends.",
  family = "read",
  fields = {
    { "recorded_on", label = "Date", type = "date", required = true },
    { "network", label = "People in the family's network", type = "list", of = "text",
      required = true, help = "Family, friends, neighbours, Elders, the carer, peers." },
    { "family_on_case", label = "Family and community on the case who are part of it",
      type = "list", of = "member",
      roles = { "other_parent", "kin", "elder", "sibling", "carer", "peer_worker" },
      help = "The other parent, extended family and kin, Elders, brothers and sisters, the "
        .. "carer, a peer worker: members of the case who will stay in the family's life." },
    { "community_connections", label = "Groups and community connections", type = "list",
      of = "text" },
    { "keeps_change_going", label = "What will keep the change going", type = "text",
      required = true },
  },
}
