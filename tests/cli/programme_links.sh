#!/usr/bin/env bash
# tests/cli/programme_links.sh: the programme library's linked cases through the real binary.
# A co-parenthood (restoration) referral that continues a preservation case waits until the
# child has entered care there, then carries that case's reference and outcome; a sibling's
# case is recorded when a family is matched; the preservation case's end counts as
# entered_care in `report outcomes --by ended_by`.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
ln -s "$ROOT/plugins" plugins
at 2026-03-02T09:00:00Z

quiet $K init
quiet $K deploy "$ROOT/workflows/coparenthood.lua" "$ROOT/workflows/preservation.lua"

# member ROLE NAME on case C
member() { quiet $K case member add "$1" --role "$2" --name "$3"; }
# a referral ready to match, but for what links say: case C (workflow W), ref R
referral() {
  quiet $K case new "$2" --ref "$3"
  member "$1" parent "Robin Linkwood"
  member "$1" child "Ava Linkwood"
  member "$1" carer "Kit Linkfield"
  member "$1" family_link "Sam Link-Example"
  local parent
  parent=$($K case members "$1" --json | py 'next(m["id"] for m in d if m["role"] == "parent")')
  quiet $K consent give "$1" --member "$parent" --purpose share_with_partners
  quiet $K form submit "$1" child_information --data \
    "{\"child_name\": \"Ava Linkwood\", \"dob\": \"2019-03-02\", \"living_arrangement\": \"$4\"}"
}

referral 1 preservation PR-1 with_parents           # the child at home: preservation
quiet $K case fire 1 match --as caseworker
referral 2 coparenthood CP-2 foster_care            # she entered care: a restoration referral
expect_out "the restoration referral continues the preservation case" \
  "case 2 continues case 1" \
  $K case link 2 1 --as continues --reason "Ava entered care"

expect_refused "matching waits until the child has entered care in the case it continues" 1 \
  "this referral continues case PR-1 (preservation), which is in 'building_trust': the child has not entered care there (record it with enter_care on that case first)" \
  $K case fire 2 match --as caseworker
expect_out "the moves name the same reason" "which is in 'building_trust'" \
  $K case moves 2 --as caseworker

quiet $K case fire 1 enter_care --as supervisor --reason "Ava entered care after Robin's admission"
expect_ok "once the child entered care there, the family is matched" \
  $K case fire 2 match --as caseworker
expect_eq "the continuing referral carries the case it continues and how it ended" \
  "PR-1 entered_care" \
  "$($K case show 2 --json | py '"%s %s" % (d["data"]["continues_case"], d["data"]["continues_outcome"])')"

# Ava's brother, in care with another carer: his own co-parenthood case, linked as sibling.
referral 3 coparenthood CP-3 foster_care
quiet $K case link 3 2 --as sibling --reason "Leo is Ava's brother"
expect_ok "a sibling's referral is matched" $K case fire 3 match --as caseworker
expect_eq "the sibling's case is recorded when matched" "CP-2" \
  "$($K case show 3 --json | py 'd["data"]["sibling_cases"]')"
expect_eq "a case not linked carries no history reference" "None None" \
  "$($K case show 1 --json | py '"%s %s" % (d["data"].get("continues_case"), d["data"].get("sibling_cases"))')"

expect_eq "the preservation case ended with the child entering care" "preservation entered_care 1" \
  "$($K report outcomes --by ended_by --json | py '" ".join("%s %s %d" % (r["workflow"], r["ended_by"], r["cases"]) for r in d if r.get("workflow") not in (None, "(all)"))')"

t_done
