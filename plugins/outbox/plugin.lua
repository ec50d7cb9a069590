-- The outbox: delivers every event, after its transaction commits, to a JSON-lines file
-- that other systems (a notification service, a data warehouse) read. A C plugin: see
-- outbox.c. The event log itself is the outbox; a cursor file records what was delivered,
-- so nothing is lost across crashes (delivery is at least once: readers dedupe on seq).
return plugin {
  name = "outbox",
  version = "0.1.0",
  description = "Delivers committed events to a JSON-lines file (KINFLOW_OUTBOX, default DB.outbox.jsonl; off disables)",
}
