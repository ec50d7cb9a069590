-- rules-core: the business rules the programme library shares, kept apart from core code
-- (the design's reading of 45 CFR 1355.53). The loader also loads every rules/*.lua here.
return plugin {
  name = "rules-core",
  version = "0.1.0",
  description = "Shared guards for family-partnership programmes: consent to share information, "
    .. "carer matching, the communication book, the safety and support network's view on safety "
    .. "at home, young parents, and the Family Preservation and Reunification response's "
    .. "priority groups.",
}
