#!/usr/bin/env bash
# tests/cli/concurrency.sh: several kinflow processes on one database at once. One firing
# wins and the rest are refused cleanly (never "database is locked"); concurrent updates
# lose nothing; timers and refs stay unique; the hash chain stays intact.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1

cat >race.lua <<'EOF'
return workflow {
  name = "race",
  roles = { "caseworker", "supervisor" },
  initial = "referral",
  states = { { "referral" }, { "matched" }, { "closed", final = true } },
  transitions = {
    { "match", from = "referral", to = "matched", by = { "caseworker" },
      action = function(case) case.data.matches = (case.data.matches or 0) + 1 end },
    { "lapse", from = "referral", to = "closed", after = "30d" },
    { "close", from = "*", to = "closed", by = { "supervisor" } },
  },
}
EOF
export KINFLOW_NOW=2024-01-01T09:00:00Z
"$K" init >/dev/null
"$K" deploy race.lua >/dev/null

P="$T_DIR/procs"
mkdir -p "$P"

# race N CMD...: starts CMD N times at once; results in $P/1.. (rc, out, err).
race() {
  local n=$1 i; shift
  rm -f "$P"/*
  for i in $(seq 1 "$n"); do
    ( "$@" >"$P/$i.out" 2>"$P/$i.err"; echo $? >"$P/$i.rc" ) &
  done
  wait
}
count_rc() { local want=$1 n=0 f; for f in "$P"/*.rc; do [ "$(cat "$f")" = "$want" ] && n=$((n + 1)); done; echo $n; }

# ---- 8 processes fire the same transition: exactly one wins ---------------------------------

for round in 1 2 3; do
  ID=$("$K" case new race --ref "R$round" --json | py 'd["id"]')
  race 8 "$K" case fire "$ID" match --as caseworker
  expect_eq "round $round: exactly one fire succeeds" "1" "$(count_rc 0)"
  expect_eq "round $round: the other seven are refused (exit 1)" "7" "$(count_rc 1)"
  bad=""
  for i in $(seq 1 8); do
    [ "$(cat "$P/$i.rc")" = 1 ] || continue
    err=$(cat "$P/$i.err")
    if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || [ -z "$err" ]; then bad="$bad [not one line: $err]"
    elif [[ "$err" == *locked* || "$err" == *LOCKED* || "$err" == *busy* || "$err" == *BUSY* ]]; then bad="$bad [$err]"
    elif [[ "$err" != *"'match'"* ]]; then bad="$bad [does not say why: $err]"; fi
  done
  if [ -z "$bad" ]; then t_ok "round $round: refusals are one clear line each"; else t_fail "round $round: refusals are one clear line each" "$bad"; fi
  run "$K" case history "$ID" --json
  expect_eq "round $round: one transition event" "1" "$(echo "$OUT" | py 'len([e for e in d if e["kind"] == "case.transition"])')"
  expect_eq "round $round: the action ran once" "matched 1" "$("$K" case show "$ID" --json | py 'd["state"] + " " + str(d["data"].get("matches"))')"
done
expect_out "audit verify after the races" "chain intact" "$K" audit verify

# two different transitions at once: one wins, the other is refused by state or revision
ID=$("$K" case new race --json | py 'd["id"]')
rm -f "$P"/*
( "$K" case fire "$ID" match --as caseworker >"$P/m.out" 2>"$P/m.err"; echo $? >"$P/m.rc" ) &
( "$K" case fire "$ID" close --as supervisor >"$P/c.out" 2>"$P/c.err"; echo $? >"$P/c.rc" ) &
wait
expect_eq "match and close at once: at least one succeeds" "yes" "$( [ "$(cat "$P/m.rc")" = 0 ] || [ "$(cat "$P/c.rc")" = 0 ] && echo yes || echo no)"
n=$("$K" case history "$ID" --json | py 'len([e for e in d if e["kind"] == "case.transition"])')
st=$("$K" case show "$ID" --json | py 'd["state"]')
case "$(cat "$P/m.rc")$(cat "$P/c.rc")" in
  00) expect_eq "both succeeded: match then close, in order" "2 closed" "$n $st" ;;
  01) expect_eq "match won, close refused" "1 matched" "$n $st" ;;
  10) expect_eq "close won, match refused" "1 closed" "$n $st" ;;
  *) t_fail "match and close at once" "rc $(cat "$P/m.rc") $(cat "$P/c.rc"): $(cat "$P/m.err" "$P/c.err")" ;;
esac

# ---- 4 processes x 25 `case set` on one case: nothing lost --------------------------------------

ID=$("$K" case new race --ref SETS --json | py 'd["id"]')
REV0=$("$K" case show "$ID" --json | py 'd["revision"]')
rm -f "$P"/*
for w in 1 2 3 4; do
  (
    fails=0
    for j in $(seq 1 25); do
      "$K" case set "$ID" --data "{\"w${w}_$j\": $j}" >/dev/null 2>>"$P/$w.err" || fails=$((fails + 1))
    done
    echo $fails >"$P/$w.fails"
  ) &
done
wait
expect_eq "every case set succeeded" "0 0 0 0" "$(cat "$P"/1.fails "$P"/2.fails "$P"/3.fails "$P"/4.fails | tr '\n' ' ' | sed 's/ $//')"
errs=$(cat "$P"/*.err 2>/dev/null)
if [ -z "$errs" ]; then t_ok "nothing on stderr from the concurrent case sets"
else t_fail "nothing on stderr from the concurrent case sets" "$(echo "$errs" | wc -l) lines, e.g. $(echo "$errs" | sort | uniq -c | sort -rn | head -3 | tr -s ' ')"; fi
run "$K" case show "$ID" --json
expect_eq "final revision is the first plus 100: no lost update" "$((REV0 + 100))" "$(echo "$OUT" | py 'd["revision"]')"
expect_eq "all 100 keys present" "100" "$(echo "$OUT" | py 'len([k for k in d["data"] if k[0] == "w"])')"
expect_eq "every value as written" "True" "$(echo "$OUT" | py 'all(d["data"]["w%d_%d" % (w, j)] == j for w in range(1, 5) for j in range(1, 26))')"
expect_eq "100 data events" "100" "$("$K" case history "$ID" --json | py 'len([e for e in d if e["kind"] == "case.data"])')"

# ---- concurrent sets with --revision: exactly one per revision wins -----------------------------

ID=$("$K" case new race --json | py 'd["id"]')
REV=$("$K" case show "$ID" --json | py 'd["revision"]')
race 6 "$K" case set "$ID" --data '{"who": "me"}' --revision "$REV"
expect_eq "6 sets against one revision: one succeeds" "1" "$(count_rc 0)"
expect_eq "6 sets against one revision: five conflict" "5" "$(count_rc 1)"
if grep -q "changed" "$P"/*.err && ! grep -qi "locked\|busy" "$P"/*.err; then t_ok "conflicts say the case changed"
else t_fail "conflicts say the case changed" "$(cat "$P"/*.err)"; fi

# ---- the same ref opened at once: one case -----------------------------------------------------

race 6 "$K" case new race --ref SAME
expect_eq "same ref opened 6 times at once: one succeeds" "1" "$(count_rc 0)"
expect_eq "one case holds the ref" "1" "$("$K" case list --json | py 'len([c for c in d if c["ref"] == "SAME"])')"
if grep -q "SAME" "$P"/*.err && ! grep -qi "locked\|busy" "$P"/*.err; then t_ok "the others say the ref exists"
else t_fail "the others say the ref exists" "$(cat "$P"/*.err)"; fi

# ---- timers run by several processes at once fire once -------------------------------------------

OPEN=$("$K" case list --state referral --json | py '" ".join(str(c["id"]) for c in d)')
export KINFLOW_NOW=2024-03-01T09:00:00Z
race 4 "$K" timers run
expect_eq "4 timer runners at once: all exit 0" "4" "$(count_rc 0)"
expect_eq "each lapsed case lapsed exactly once" "" \
  "$(for c in $OPEN; do "$K" case history "$c" --json | py '"" if len([e for e in d if e["kind"] == "case.transition" and e["name"] == "lapse"]) == 1 else "case %s: %d lapses; " % (d[0]["case"], len([e for e in d if e["name"] == "lapse"]))'; done | tr -d '\n')"
expect_eq "no case left in referral" "[]" "$("$K" case list --state referral --json | py '[c["id"] for c in d]')"

expect_out "audit verify at the end" "chain intact" "$K" audit verify

t_done
