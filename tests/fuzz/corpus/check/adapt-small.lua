return adapt "coparenthood" {
  name = "tiny_adaptation",
  roles = { "elder" },
  states = { { "yarning", title = "Yarning circle", before = "capability" }, { "building_trust", review = "14d" } },
  transitions = {
    { "yarn", from = "building_trust", to = "yarning", by = { "elder" } },
    { "grow", from = "yarning", to = "capability", by = { "caseworker" } },
    { "match", requires = { "child_information" } },
  },
  remove = { transitions = { "lapse" } },
}
