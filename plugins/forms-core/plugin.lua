-- forms-core: the forms the programme library shares.
-- The loader also loads every forms/*.lua beside this file.
return plugin {
  name = "forms-core",
  version = "0.1.0",
  description = "Shared forms for family-partnership programmes: the processes children in care "
    .. "require (child information, case plan, cultural support plan, education support plan, "
    .. "child health passport), the ways parents and carers co-parent (communication book, "
    .. "safety and support network meetings, family contact, partnering activities), and "
    .. "goals, safety planning and reviews. Consent is a record, not a form (kinflow consent).",
}
