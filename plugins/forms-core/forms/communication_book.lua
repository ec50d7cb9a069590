-- Communication book entry. Seed "Parents partnering with carers": "having a communication
-- book where the carer provides updates on the child for the parent"; "carers placing phone
-- calls to parents to celebrate momentous occasions"; "carers taking photos of momentous
-- occasions and providing them to parents".
return form {
  name = "communication_book",
  title = "Communication book entry",
  description = "An update on the child, usually from the carer to the parent; parents write "
    .. "back with their own news.",
  -- Parents and carers write in it themselves, from their family page: each entry is
  -- recorded as the person who wrote it.
  family = true,
  fields = {
    { "entry_date", label = "Date", type = "date", required = true },
    { "written_by", label = "Written by", type = "choice", required = true,
      choices = { "carer", "parent", "family_link" } },
    { "update", label = "Update", type = "text", required = true },
    { "momentous_occasion", label = "A momentous occasion to celebrate", type = "text",
      help = "For example, the child scoring a goal at football, or the parent getting a job." },
    { "photos_shared", label = "Photos shared with the parent", type = "boolean" },
  },
}
