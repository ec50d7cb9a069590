#!/usr/bin/env bash
# A sensitive value, once stored, is never copied into the event log: member data, case data
# and data a move changes keep their sensitive keys as "(private)" in the events (history,
# audit, the outbox read the log); the records themselves keep the values.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR"
$K init >/dev/null
cat > wf.lua <<'W'
return workflow {
  name = "refuge", roles = { "worker" }, initial = "open",
  sensitive = { data = { "safe_address" }, members = { "address", "phone" } },
  states = { { "open" }, { "moved" }, { "done", final = true } },
  transitions = {
    { "move", from = "open", to = "moved", by = { "worker" },
      action = function(case) case.data.safe_address = "9 Hidden Lane, Refugeton" end },
    { "close", from = "*", to = "done", by = { "worker" } },
  },
}
W
$K deploy wf.lua >/dev/null
$K case new refuge --ref R1 --data '{"safe_address": "1 Secret Road, Shelterville", "note": "ok"}' >/dev/null
$K case member add R1 --role parent --name "Pat Example" --data '{"address": "1 Secret Road, Shelterville", "phone": "0400 000 111", "dob": "1990-01-01"}' >/dev/null
$K case set R1 --data '{"safe_address": "2 Secret Road, Shelterville"}' >/dev/null
$K case fire R1 move --as worker >/dev/null
events=$(t_sql "SELECT $(t_agg "coalesce(data,'')" ' ' seq) FROM events")
[[ "$events" != *"Secret Road"* && "$events" != *"Hidden Lane"* && "$events" != *"0400 000 111"* ]] \
  && t_ok "no sensitive value in any event" || t_fail "event values" "$events"
[[ "$events" == *'"safe_address":"(private)"'* || "$events" == *'"safe_address": "(private)"'* ]] \
  && t_ok "the keys stand as (private)" || t_fail "private marker" "$events"
[[ "$events" == *"1990-01-01"* && "$events" == *'"note"'* ]] && t_ok "other keys are kept" || t_fail "others" "$events"
run $K case show R1 --json
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["data"].get("note")=="ok", d' \
  && t_ok "the case keeps its values (shown to the owner only with --reveal)" || t_fail "record" "$OUT"
expect_ok "the audit chain holds" $K audit verify
t_done
