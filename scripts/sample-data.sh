#!/usr/bin/env bash
# scripts/sample-data.sh: sample cases for kinflow, across every programme and stage.
#
# Sourced: scripts/run.sh (and, later, the web console's demo mode) source it and call
#     sample_data_load          # ~37 cases across every programme, quietly, one line a case
#     sample_walkthrough        # one co-parenthood case, step by step, referral to restored
# then `kinflow timers run` at the present, which makes the overdue reviews overdue and
# lapses the referral that was never matched.
#
# Needs: KINFLOW_BIN (the kinflow binary) and KINFLOW_DB set by the caller, a deployed
# programme library, GNU date, bash 4.3+. Run directly (scripts/sample-data.sh) it loads
# both into KINFLOW_DB (default ./kinflow.db), which must already be initialised and have
# the programmes deployed: scripts/run.sh does all of that from scratch.
#
# Every person, address and organisation here is invented.
#
# Dates are relative to the present (KINFLOW_NOW if set, else the real clock), so the data
# looks the same whenever it is loaded: "matched 10 weeks ago", "review due 3 weeks ago".
# Each command runs with KINFLOW_NOW set to the moment it happens in the story.
#
# On the first failing kinflow command the functions print the step, the command and its
# output, and exit the shell with the command's status.

# --- clock --------------------------------------------------------------------------------
# Date arithmetic is done in bash (no `date` process per date): this file runs a few hundred
# commands and should stay fast.

if [[ -n ${KINFLOW_NOW:-} ]]; then
  SD_PRESENT_EPOCH=$(date -u -d "$KINFLOW_NOW" +%s) ||
    { echo "sample-data: KINFLOW_NOW='$KINFLOW_NOW' is not a date" >&2; exit 2; }
else
  TZ=UTC printf -v SD_PRESENT_EPOCH '%(%s)T' -1
fi
SD_TODAY_DAYS=$((SD_PRESENT_EPOCH / 86400))          # days since 1970-01-01, UTC
TZ=UTC printf -v SD_TODAY '%(%Y-%m-%d)T' $((SD_TODAY_DAYS * 86400))

# sd_days_from_civil Y M D: days since 1970-01-01 (H. Hinnant's algorithm); result in REPLY.
sd_days_from_civil() {
  local y=$1 m=$((10#$2)) d=$((10#$3)) era yoe doy doe
  ((m <= 2)) && y=$((y - 1))
  era=$(((y >= 0 ? y : y - 399) / 400))
  yoe=$((y - era * 400))
  doy=$(((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1))
  doe=$((yoe * 365 + yoe / 4 - yoe / 100 + doy))
  REPLY=$((era * 146097 + doe - 719468))
}

# sd_weekday N: the day number (SD_DAY) and date (REPLY) of N days ago, moved back to the
# Friday before when it falls on a weekend: practitioners work weekdays. Moving back keeps
# the order of events (two events may land on the same Friday).
sd_weekday() {
  SD_DAY=$((SD_TODAY_DAYS - $1))
  case $(((SD_DAY + 3) % 7)) in   # 1970-01-01 was a Thursday; 0 = Monday
    5) SD_DAY=$((SD_DAY - 1)) ;;
    6) SD_DAY=$((SD_DAY - 2)) ;;
  esac
  TZ=UTC printf -v REPLY '%(%Y-%m-%d)T' $((SD_DAY * 86400))
}

# sd_day N: the date (a weekday) N days ago (YYYY-MM-DD), in REPLY.
sd_day() { sd_weekday "$1"; }

# sd_born YEARS [DAYS]: a date of birth YEARS years and DAYS days before today, in REPLY.
sd_born() {
  local y=${SD_TODAY:0:4} m=${SD_TODAY:5:2} d=${SD_TODAY:8:2}
  [[ $m$d == 0229 ]] && d=28
  sd_days_from_civil $((y - $1)) "$m" "$d"
  TZ=UTC printf -v REPLY '%(%Y-%m-%d)T' $(((REPLY - ${2:-0}) * 86400))
}

# sd_at N [HH:MM]: the story moves to N days ago at HH:MM (UTC); later commands happen then.
sd_at() {
  sd_weekday "$1"
  KF_NOW="${REPLY}T${2:-10:00}:00Z"
  SD_CLOCK_DAY=$SD_DAY
}

# sd_json TEXT: JSON with placeholders filled in, in SD_JSON. "@N" (a whole JSON string)
# becomes the date N days ago; "@age:Y:D" a date of birth Y years and D days ago.
sd_json() {
  local s=$1 m
  while [[ $s =~ \"@([0-9]+)\" ]]; do
    m=${BASH_REMATCH[0]}
    sd_day "${BASH_REMATCH[1]}"
    s=${s//"$m"/\"$REPLY\"}
  done
  while [[ $s =~ \"@age:([0-9]+):([0-9]+)\" ]]; do
    m=${BASH_REMATCH[0]}
    sd_born "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    s=${s//"$m"/\"$REPLY\"}
  done
  SD_JSON=$s
}

# --- running kinflow ----------------------------------------------------------------------

SD_CLOCK_DAY=0
KF_NOW=""          # the story's clock for the next command ("" = the real present)
KF_STEP="sample data"
SD_SECTION=""
KF_QUIET=${KF_QUIET:-1}
KF_OUT=""

# kf ARGS...: run kinflow at the story's clock. Quiet mode keeps the output in KF_OUT;
# otherwise it is printed, indented. A failure stops everything with a clear message.
kf() {
  local rc=0
  if [[ -n $KF_NOW ]]; then
    KF_OUT=$(KINFLOW_NOW=$KF_NOW "$KINFLOW_BIN" "$@" 2>&1) || rc=$?
  else
    KF_OUT=$("$KINFLOW_BIN" "$@" 2>&1) || rc=$?
  fi
  if ((rc != 0)); then
    {
      echo
      echo "FAILED at step: ${SD_SECTION:+$SD_SECTION: }$KF_STEP"
      printf '  command: KINFLOW_NOW=%s kinflow' "${KF_NOW:-<now>}"
      printf ' %q' "$@"
      printf '\n  exit status: %d\n' "$rc"
      printf '  | %s\n' "${KF_OUT//$'\n'/$'\n  | '}"
    } >&2
    exit "$rc"
  fi
  if [[ $KF_QUIET != 1 && -n $KF_OUT ]]; then printf '    %s\n' "${KF_OUT//$'\n'/$'\n    '}"; fi
  return 0
}

# The case the following helpers work on, and its state as far as these helpers know.
C=""
SD_STATE=""
declare -gA SD_REF_CASE=()           # case reference (CP-1811) -> case number
SD_ACTOR="Jordan Casework-Example"   # who records forms unless told otherwise

# sd_new WORKFLOW REF [DATA-JSON]: open a case; sets C.
sd_new() {
  local wf=$1 ref=$2 data=${3:-}
  [[ ${SD_IN_WALK:-0} == 1 ]] || SD_SECTION="sample case $ref"
  KF_STEP="open a $wf case"
  if [[ -n $data ]]; then
    sd_json "$data"
    kf case new "$wf" --ref "$ref" --data "$SD_JSON" --actor "$SD_ACTOR"
  else
    kf case new "$wf" --ref "$ref" --actor "$SD_ACTOR"
  fi
  if [[ $KF_OUT =~ ^case\ ([0-9]+)\ opened:.*\ at\ ([a-z_]+) ]]; then
    C=${BASH_REMATCH[1]}
    SD_STATE=${BASH_REMATCH[2]}
    # shellcheck disable=SC2034  # read by scripts/run.sh
    SD_REF_CASE[$ref]=$C
  else
    echo "FAILED at step: $SD_SECTION: could not read the case number from: $KF_OUT" >&2
    exit 1
  fi
  SD_CASES=$((${SD_CASES:-0} + 1))
}

# sd_member ROLE NAME [DATA-JSON]
sd_member() {
  KF_STEP="case $C: add $1 $2"
  if [[ -n ${3:-} ]]; then
    sd_json "$3"
    kf case member add "$C" --role "$1" --name "$2" --data "$SD_JSON" --actor "$SD_ACTOR"
  else
    kf case member add "$C" --role "$1" --name "$2" --actor "$SD_ACTOR"
  fi
}

# sd_form FORM DATA-JSON [RECORDED-BY]: a form is recorded on its own date (its first "@N"
# date: the visit, the meeting, the review) when that is later than the story's clock, so
# the history reads in order and a review form restarts the review clock on its day.
# "@member:NAME" in the data is that member's number (member fields); SD_AS=ROLE sd_form ...
# gives the entry in that role (attested fields, e.g. the ACCO's endorsement).
sd_form() {
  local data=$2 m as=()
  while [[ $data =~ \"@member:([^\"]+)\" ]]; do
    m=${BASH_REMATCH[0]}
    sd_member_id "${BASH_REMATCH[1]}"
    data=${data//"$m"/$REPLY}
  done
  set -- "$1" "$data" "${@:3}"
  [[ -n ${SD_AS:-} ]] && as=(--as "$SD_AS")
  KF_STEP="case $C: record $1"
  if [[ $2 =~ \"@([0-9]+)\" ]]; then
    sd_weekday "${BASH_REMATCH[1]}"
    if ((SD_DAY > SD_CLOCK_DAY)); then
      sd_at "${BASH_REMATCH[1]}" "${KF_NOW:11:5}"
    elif [[ -n ${SD_CHECK:-} ]] && ((SD_DAY < SD_CLOCK_DAY - 3)); then
      echo "sample-data: check: case $C: $1 dated $REPLY recorded at $KF_NOW" >&2
    fi
  fi
  sd_json "$2"
  kf form submit "$C" "$1" --data "$SD_JSON" "${as[@]}" --actor "${3:-$SD_ACTOR}"
}

# sd_fire TRANSITION ROLE ACTOR [REASON]
sd_fire() {
  KF_STEP="case $C: $1 (as $2)"
  if [[ -n ${4:-} ]]; then
    kf case fire "$C" "$1" --as "$2" --actor "$3" --reason "$4"
  else
    kf case fire "$C" "$1" --as "$2" --actor "$3"
  fi
  [[ $KF_OUT =~ \ -\>\ ([a-z_]+) ]] && SD_STATE=${BASH_REMATCH[1]}
  return 0
}

# sd_set DATA-JSON: merge into the case's data.
sd_set() {
  KF_STEP="case $C: update case data"
  sd_json "$1"
  kf case set "$C" --data "$SD_JSON" --actor "$SD_ACTOR"
}

# sd_member_id NAME: the number of the member of case C called NAME, in REPLY.
sd_member_id() {
  KF_STEP="case $C: find member $1"
  kf case members "$C" --json
  REPLY=$(printf '%s' "$KF_OUT" | python3 -c 'import json,sys; n=sys.argv[1]; print(next(m["id"] for m in json.load(sys.stdin) if m["name"] == n))' "$1")
}

# sd_consent NAME "@N": member NAME consents to share information with the partner agencies
# from N days ago (a consent record, not a form).
sd_consent() {
  sd_member_id "$1"
  local member=$REPLY
  sd_json "{\"d\":\"$2\"}"
  KF_STEP="case $C: $1 consents to share_with_partners"
  kf consent give "$C" --member "$member" --purpose share_with_partners \
    --from "${SD_JSON:6:10}" --actor "$SD_ACTOR"
}

# sd_decide TRANSITION DECIDED NAME...: a shared decision for a move, with the family
# members named taking part (each with a view) and the family agreeing.
sd_decide() {
  local transition=$1 decided=$2 args=() name
  shift 2
  for name in "$@"; do
    sd_member_id "$name"
    args+=(--member "$REPLY=We agree.")
  done
  KF_STEP="case $C: shared decision for $transition"
  kf decision record "$C" --for "$transition" --decided "$decided" --family-agreed yes \
    "${args[@]}" --actor "$SD_ACTOR"
}

# sd_done SUMMARY: one line for the loaded case (its state before timers run).
sd_done() {
  printf '  case %-3s %-25s %-15s %s\n' "$C" "$SD_WF" "$SD_STATE" "$1"
}

# Staff (invented). Members with family_link, carer, acco_worker... roles are added per case.
CW1="Jordan Casework-Example"
CW2="Lee Sample-Worker"
SUP="Morgan Lead-Example"
NAV="Avery Navigator-Example"
FVS="Noor Example-Safe"

# --- the sample cases ---------------------------------------------------------------------

sample_data_load() {
  SD_CASES=0

  # ---------------------------------------------------------------- Co-parenthood
  SD_WF=coparenthood SD_ACTOR=$CW1

  # Referral: consent given, waiting for a carer and a Family Link worker.
  sd_at 9 09:30
  sd_new coparenthood CP-2041 '{"referred_on":"@12","referred_by":"Child Protection (North)"}'
  sd_member parent "Taylor Sample" '{"dob":"@age:27:40"}'
  sd_member child "Mia Sample" '{"dob":"@age:4:200"}'
  sd_at 7 14:00
  sd_consent "Taylor Sample" "@7"
  sd_done "Taylor Sample; consent given, waiting for a carer match"

  # Stage 1, review overdue: only two ways to co-parent agreed so far.
  sd_at 75 09:00
  sd_new coparenthood CP-1987 '{"referred_on":"@80"}'
  sd_member parent "Casey Demo" '{"dob":"@age:33:10"}'
  sd_member parent "Jesse Demo" '{"dob":"@age:35:90"}'
  sd_member child "Noah Demo" '{"dob":"@age:8:30"}'
  sd_member child "Ella Demo" '{"dob":"@age:5:150"}'
  sd_at 72 11:00
  sd_consent "Casey Demo" "@72"
  sd_form child_information '{"child_name":"Noah Demo","dob":"@age:8:30",
    "living_arrangement":"foster_care","school":"Example Primary","parent_contributed":true}'
  sd_at 67 15:00
  sd_member carer "Priya Hollow-Example"
  sd_member family_link "Ari Westcombe-Example"
  sd_at 66 10:00
  sd_fire match caseworker "$CW1"
  sd_at 60 16:00
  sd_form partnering_activities '{"agreed_on":"@60","activities":["communication_book","clear_roles"]}'
  sd_form communication_book '{"entry_date":"@58","written_by":"carer",
    "update":"Noah scored his first goal at football."}' "Priya Hollow-Example"
  sd_done "Casey and Jesse Demo; Stage 1, review overdue"

  # Stage 2, reviews up to date.
  sd_at 140 09:00
  sd_new coparenthood CP-1902 '{"referred_on":"@146"}'
  sd_member parent "Jamie Placeholder" '{"dob":"@age:29:300"}'
  sd_member child "Zoe Placeholder" '{"dob":"@age:3:60"}'
  sd_member carer "Glen Maple-Example"
  sd_member family_link "Sam Fenwick-Example"
  sd_at 136 10:00
  sd_consent "Jamie Placeholder" "@136"
  sd_form child_information '{"child_name":"Zoe Placeholder","dob":"@age:3:60",
    "living_arrangement":"foster_care","comforts":"Her blue blanket","parent_contributed":true}'
  sd_at 130 10:00
  sd_fire match caseworker "$CW1"
  sd_at 125 13:00
  sd_form partnering_activities '{"agreed_on":"@125","activities":["communication_book",
    "speak_positively","welcome_home_visits","parent_attends_doctor_visits"]}'
  sd_form communication_book '{"entry_date":"@110","written_by":"carer",
    "update":"Zoe said a new word: dog.","photos_shared":true}' "Glen Maple-Example"
  sd_form safety_network_meeting '{"meeting_date":"@108",
    "members_present":["@member:Jamie Placeholder","@member:Glen Maple-Example",
    "@member:Sam Fenwick-Example"]}'
  sd_at 104 11:00
  sd_form review '{"review_date":"@104","progress":"Jamie and Glen talk every week.",
    "decision":"move_forward"}'
  sd_at 100 09:30
  sd_fire strengthen family_link "Sam Fenwick-Example"
  sd_at 90 14:00
  sd_form case_plan '{"plan_date":"@90","permanency_goal":"restoration",
    "goals":["Zoe home by spring","Jamie completes a parenting course"],
    "contributed_by":["@member:Jamie Placeholder","@member:Glen Maple-Example"]}'
  sd_form child_health_passport '{"recorded_on":"@80","gp":"Example Street Medical",
    "immunisations_current":true,"parent_attends_appointments":true}'
  sd_at 75 11:00
  sd_form review '{"review_date":"@75","progress":"Parenting course started.","decision":"continue"}'
  sd_at 50 11:00
  sd_form review '{"review_date":"@50","progress":"Unsupervised day visits going well.",
    "decision":"continue"}'
  sd_at 24 11:00
  sd_form review '{"review_date":"@24","progress":"Course completed; weekend visits next.",
    "decision":"continue"}'
  sd_done "Jamie Placeholder; Stage 2, reviewed 24 days ago"

  # Stage 3, review overdue (reviews fall due every 14 days in Stage 3).
  SD_ACTOR=$CW2
  sd_at 200 09:00
  sd_new coparenthood CP-1850 '{"referred_on":"@205"}'
  sd_member parent "Drew Testfield" '{"dob":"@age:38:12"}'
  sd_member child "Harper Testfield" '{"dob":"@age:11:70"}'
  sd_member carer "Rowan Birch-Example"
  sd_member family_link "Sam Fenwick-Example"
  sd_consent "Drew Testfield" "@200"
  sd_form child_information '{"child_name":"Harper Testfield","dob":"@age:11:70",
    "living_arrangement":"foster_care","parent_contributed":true}'
  sd_at 190 10:00
  sd_fire match caseworker "$CW2"
  sd_at 185 10:00
  sd_form partnering_activities '{"agreed_on":"@185","activities":["communication_book",
    "parent_attends_school_events","carer_attends_contact"]}'
  sd_form communication_book '{"entry_date":"@170","written_by":"carer",
    "update":"Harper made the school choir."}' "Rowan Birch-Example"
  sd_form safety_network_meeting '{"meeting_date":"@168",
    "members_present":["@member:Drew Testfield","@member:Rowan Birch-Example"]}'
  sd_form review '{"review_date":"@165","progress":"Settled routine of contact."}'
  sd_at 160 10:00
  sd_fire strengthen caseworker "$CW2"
  sd_form review '{"review_date":"@135","progress":"Drew attends every school event."}'
  sd_form case_plan '{"plan_date":"@120","permanency_goal":"restoration",
    "goals":["Harper home for the new school year"],"contributed_by":["@member:Drew Testfield"]}'
  sd_form review '{"review_date":"@108","progress":"Overnight stays are next."}'
  sd_form review '{"review_date":"@80","progress":"Steady."}'
  sd_form review '{"review_date":"@52","progress":"Ready for Stage 3.","decision":"move_forward"}'
  sd_at 45 10:00
  sd_fire sign_plan parent "Drew Testfield"
  sd_decide prepare_restoration "Move to Stage 3, agreed with the family" "Drew Testfield"
  sd_fire prepare_restoration caseworker "$CW2"
  sd_at 40 10:00
  sd_form family_contact '{"contact_date":"@40","contact_type":"overnight","hours":24,
    "went_well":"Pizza night at home."}' "Rowan Birch-Example"
  sd_at 35 10:00
  sd_form review '{"review_date":"@35","progress":"First overnight stay went well."}'
  sd_done "Drew Testfield; Stage 3, one overnight stay, review overdue"

  # Stepped back from Stage 3 to Stage 2, with the reason.
  SD_ACTOR=$CW1
  sd_at 210 09:00
  sd_new coparenthood CP-1833 '{"referred_on":"@214"}'
  sd_member parent "Riley Mockford" '{"dob":"@age:31:200"}'
  sd_member child "Jack Mockford" '{"dob":"@age:6:10"}'
  sd_member carer "Dale Ashgrove-Example"
  sd_member family_link "Ari Westcombe-Example"
  sd_consent "Riley Mockford" "@210"
  sd_form child_information '{"child_name":"Jack Mockford","dob":"@age:6:10",
    "living_arrangement":"foster_care","parent_contributed":true}'
  sd_at 205 10:00
  sd_fire match caseworker "$CW1"
  sd_form partnering_activities '{"agreed_on":"@200","activities":["communication_book",
    "names_decided_together","daily_decisions_together"],"child_calls_carer":"Uncle Dale"}'
  sd_form communication_book '{"entry_date":"@185","written_by":"carer",
    "update":"Jack lost a tooth."}' "Dale Ashgrove-Example"
  sd_form safety_network_meeting '{"meeting_date":"@182",
    "members_present":["@member:Riley Mockford","@member:Dale Ashgrove-Example"]}'
  sd_form review '{"review_date":"@180","progress":"Good start."}'
  sd_at 178 10:00
  sd_fire strengthen caseworker "$CW1"
  sd_form case_plan '{"plan_date":"@150","permanency_goal":"restoration",
    "goals":["Jack home with Riley"],"contributed_by":["@member:Riley Mockford"]}'
  sd_form review '{"review_date":"@152","progress":"Steady."}'
  sd_form review '{"review_date":"@126","progress":"Weekend visits."}'
  sd_form review '{"review_date":"@100","progress":"Strong progress."}'
  sd_form review '{"review_date":"@75","progress":"Ready for Stage 3.","decision":"move_forward"}'
  sd_at 70 10:00
  sd_fire sign_plan parent "Riley Mockford"
  sd_decide prepare_restoration "Move to Stage 3, agreed with the family" "Riley Mockford"
  sd_fire prepare_restoration caseworker "$CW1"
  sd_form family_contact '{"contact_date":"@62","contact_type":"overnight"}' "Dale Ashgrove-Example"
  sd_form review '{"review_date":"@58","progress":"Tenancy at risk."}'
  sd_at 50 15:00
  sd_fire step_back caseworker "$CW1" "Riley's tenancy ended; restoration paused while a new lease is found"
  sd_at 20 10:00
  sd_form review '{"review_date":"@20","progress":"Riley is on the shortlist for a two-bedroom unit."}'
  sd_done "Riley Mockford; stepped back to Stage 2 (housing)"

  # Closed by the supervisor, with the reason.
  SD_ACTOR=$CW2
  sd_at 160 09:00
  sd_new coparenthood CP-1870 '{"referred_on":"@163"}'
  sd_member parent "Frankie Sampleton" '{"dob":"@age:26:33"}'
  sd_member child "Rosie Sampleton" '{"dob":"@age:2:100"}'
  sd_member carer "Kim Larchwood-Example"
  sd_member family_link "Sam Fenwick-Example"
  sd_consent "Frankie Sampleton" "@160"
  sd_form child_information '{"child_name":"Rosie Sampleton","dob":"@age:2:100",
    "living_arrangement":"foster_care"}'
  sd_at 150 10:00
  sd_fire match caseworker "$CW2"
  sd_at 90 16:00
  sd_form family_feedback '{"feedback_date":"@90","what_helped":"Kim kept Rosie'"'"'s routine the same.",
    "listened_to":"partly"}' "Frankie Sampleton"
  sd_fire close supervisor "$SUP" "Family moved interstate; referred with consent to the co-parenthood service there."
  sd_done "Frankie Sampleton; closed (moved interstate)"

  # A referral never matched: it lapses after 90 days, when timers run at the present.
  SD_ACTOR=$CW1
  sd_at 93 09:00
  sd_new coparenthood CP-1960 '{"referred_on":"@95"}'
  sd_member parent "Billie Testcase" '{"dob":"@age:40:5"}'
  sd_member child "Sky Testcase" '{"dob":"@age:13:5"}'
  sd_consent "Billie Testcase" "@93"
  sd_done "Billie Testcase; referral, no carer found (lapses at 90 days)"

  # ---------------------------------------------------------------- Preservation
  SD_WF=preservation SD_ACTOR=$CW2

  # Stage 1, just matched with a support carer.
  sd_at 30 09:00
  sd_new preservation PR-0311 '{"referred_on":"@33"}'
  sd_member parent "Jo Pemberley-Sample" '{"dob":"@age:28:20"}'
  sd_member child "Milo Pemberley-Sample" '{"dob":"@age:4:110"}'
  sd_member carer "Dee Oakhollow-Example"
  sd_member family_link "Lee Brightwater-Example"
  sd_consent "Jo Pemberley-Sample" "@30"
  sd_form child_information '{"child_name":"Milo Pemberley-Sample","dob":"@age:4:110",
    "living_arrangement":"with_parents","parent_contributed":true}'
  sd_at 20 10:00
  sd_fire match caseworker "$CW2"
  sd_form partnering_activities '{"agreed_on":"@15","activities":["speak_positively",
    "communication_book","parent_has_carer_contacts","celebration_calls"]}'
  sd_form communication_book '{"entry_date":"@10","written_by":"carer",
    "update":"Milo loved the park on Saturday."}' "Dee Oakhollow-Example"
  sd_done "Jo Pemberley-Sample; Stage 1 with a support carer"

  # Stage 3: sustaining change at home.
  sd_at 150 09:00
  sd_new preservation PR-0288 '{"referred_on":"@152"}'
  sd_member parent "Hayden Example-Home" '{"dob":"@age:34:0"}'
  sd_member child "Isla Example-Home" '{"dob":"@age:9:45"}'
  sd_member carer "Bea Thornbury-Example"
  sd_member family_link "Lee Brightwater-Example"
  sd_consent "Hayden Example-Home" "@150"
  sd_form child_information '{"child_name":"Isla Example-Home","dob":"@age:9:45",
    "living_arrangement":"with_parents","parent_contributed":true}'
  sd_at 145 10:00
  sd_fire match caseworker "$CW2"
  sd_form partnering_activities '{"agreed_on":"@140","activities":["communication_book",
    "parent_has_carer_contacts","celebration_calls"]}'
  sd_form communication_book '{"entry_date":"@125","written_by":"carer",
    "update":"Isla stayed for a sleepover while Hayden worked a night shift."}' "Bea Thornbury-Example"
  sd_form safety_network_meeting '{"meeting_date":"@123",
    "members_present":["@member:Hayden Example-Home","@member:Bea Thornbury-Example"]}'
  sd_form review '{"review_date":"@120","progress":"Good start."}'
  sd_at 118 10:00
  sd_fire strengthen caseworker "$CW2"
  sd_form case_plan '{"plan_date":"@100","permanency_goal":"remain_at_home",
    "goals":["Isla at school every day","Hayden keeps a steady routine"],
    "contributed_by":["@member:Hayden Example-Home"]}'
  sd_form review '{"review_date":"@92","progress":"School attendance up."}'
  sd_form review '{"review_date":"@66","progress":"Routine holding."}'
  sd_form review '{"review_date":"@40","progress":"Ready to sustain on our own.","decision":"move_forward"}'
  sd_at 10 10:00
  sd_fire sign_plan parent "Hayden Example-Home"
  sd_decide sustain_change "Move to Stage 3: sustaining change at home, agreed with the family" "Hayden Example-Home"
  sd_fire sustain_change caseworker "$CW2"
  sd_done "Hayden Example-Home; Stage 3, sustaining change at home"

  # Preserved: the child remains safely at home.
  sd_at 240 09:00
  sd_new preservation PR-0190 '{"referred_on":"@243"}'
  sd_member parent "Lou Sampleford" '{"dob":"@age:30:66"}'
  sd_member child "Theo Sampleford" '{"dob":"@age:1:200"}'
  sd_member carer "Nell Greystone-Example"
  sd_member family_link "Lee Brightwater-Example"
  sd_consent "Lou Sampleford" "@240"
  sd_form child_information '{"child_name":"Theo Sampleford","dob":"@age:1:200",
    "living_arrangement":"with_parents","parent_contributed":true}'
  sd_at 232 10:00
  sd_fire match caseworker "$CW2"
  sd_form partnering_activities '{"agreed_on":"@230","activities":["communication_book",
    "speak_positively","parent_has_carer_contacts"]}'
  sd_form communication_book '{"entry_date":"@215","written_by":"carer",
    "update":"Theo is crawling everywhere."}' "Nell Greystone-Example"
  sd_form safety_network_meeting '{"meeting_date":"@212",
    "members_present":["@member:Lou Sampleford",
    "@member:Nell Greystone-Example"]}'
  sd_form review '{"review_date":"@210","progress":"Good start."}'
  sd_at 205 10:00
  sd_fire strengthen caseworker "$CW2"
  sd_form case_plan '{"plan_date":"@190","permanency_goal":"remain_at_home",
    "goals":["Theo stays home safely"],"contributed_by":["@member:Lou Sampleford"]}'
  sd_form review '{"review_date":"@180","progress":"Lou has joined a parents group.","decision":"move_forward"}'
  sd_at 175 10:00
  sd_fire sign_plan parent "Lou Sampleford"
  sd_decide sustain_change "Move to Stage 3: sustaining change at home, agreed with the family" "Lou Sampleford"
  sd_fire sustain_change caseworker "$CW2"
  sd_form safety_network_meeting '{"meeting_date":"@25",
    "members_present":["@member:Lou Sampleford","@member:Nell Greystone-Example"],
    "others_present":["Nan Sampleford"],
    "network_agrees_safe":true}'
  sd_form review '{"review_date":"@22","progress":"All goals met.","goals_met":true,"decision":"close",
    "family_feedback":"Lou: Nell is part of our family now."}'
  sd_form family_feedback '{"feedback_date":"@21","what_helped":"Nell is part of our family now.",
    "listened_to":"yes"}' "Lou Sampleford"
  sd_at 20 15:00
  sd_decide preserve "The child stays safely at home and the service closes, agreed with the family" "Lou Sampleford"
  sd_fire preserve supervisor "$SUP"
  sd_done "Lou Sampleford; child remained safely at home"

  # ---------------------------------------------------------------- Young Aboriginal parents
  SD_WF=young_aboriginal_parents SD_ACTOR=$CW1

  # Referral: ready, but no ACCO worker allocated yet (match is blocked).
  sd_at 6 09:00
  sd_new young_aboriginal_parents YAP-0107 '{"referred_on":"@8"}'
  sd_member parent "Tahlia Examplewood" '{"dob":"@age:20:35"}'
  sd_member child "Jarrah Examplewood" '{"dob":"@age:1:20"}'
  sd_member carer "Merv Sandpiper-Example"
  sd_member family_link "Ash Quillby-Example"
  sd_at 5 11:00
  sd_consent "Tahlia Examplewood" "@5"
  sd_form child_information '{"child_name":"Jarrah Examplewood","dob":"@age:1:20",
    "living_arrangement":"foster_care","aboriginal_or_torres_strait_islander":"aboriginal",
    "parent_contributed":true}'
  sd_form cultural_support_plan '{"plan_date":"@5","community_connections":["Nan and Pop on Country"],
    "cultural_information_from_parents":"Language words for bedtime.","parent_contributed":true}'
  sd_done "Tahlia Examplewood; referral, waiting for an ACCO worker"

  # Stage 2 with the ACCO.
  sd_at 85 09:00
  sd_new young_aboriginal_parents YAP-0093 '{"referred_on":"@88"}'
  sd_member parent "Kirra Sampleton-Test" '{"dob":"@age:23:100"}'
  sd_member child "Lowanna Sampleton-Test" '{"dob":"@age:2:15"}'
  sd_member carer "June Riverstone-Example"
  sd_member family_link "Ash Quillby-Example"
  sd_member acco_worker "Dana Riverbend-Test"
  sd_consent "Kirra Sampleton-Test" "@85"
  sd_form child_information '{"child_name":"Lowanna Sampleton-Test","dob":"@age:2:15",
    "living_arrangement":"foster_care","aboriginal_or_torres_strait_islander":"aboriginal"}'
  sd_form cultural_support_plan '{"plan_date":"@84","community_connections":["Aunty Example",
    "Saturday playgroup at the co-op"],"parent_contributed":true}' "Dana Riverbend-Test"
  sd_at 80 10:00
  sd_fire match acco_worker "Dana Riverbend-Test"
  sd_form partnering_activities '{"agreed_on":"@78","activities":["communication_book",
    "cultural_information","carer_meets_family"]}'
  sd_form communication_book '{"entry_date":"@65","written_by":"carer",
    "update":"Lowanna danced at playgroup."}' "June Riverstone-Example"
  sd_form safety_network_meeting '{"meeting_date":"@60",
    "members_present":["@member:Kirra Sampleton-Test","@member:June Riverstone-Example",
    "@member:Dana Riverbend-Test"]}'
  sd_form review '{"review_date":"@58","progress":"Kirra and June text every day."}'
  sd_at 50 10:00
  sd_fire strengthen acco_worker "Dana Riverbend-Test"
  sd_form review '{"review_date":"@30","progress":"Kirra is leading the cultural plan."}'
  sd_form review '{"review_date":"@5","progress":"Case plan next."}'
  sd_done "Kirra Sampleton-Test; Stage 2 with the ACCO"

  # Restored, with the ACCO's endorsement of the cultural support plan.
  sd_at 220 09:00
  sd_new young_aboriginal_parents YAP-0051 '{"referred_on":"@224"}'
  sd_member parent "Jedda Demo-River" '{"dob":"@age:21:70"}'
  sd_member child "Kobi Demo-River" '{"dob":"@age:3:140"}'
  sd_member carer "Merv Sandpiper-Example"
  sd_member family_link "Ash Quillby-Example"
  sd_member acco_worker "Dana Riverbend-Test"
  sd_consent "Jedda Demo-River" "@220"
  sd_form child_information '{"child_name":"Kobi Demo-River","dob":"@age:3:140",
    "living_arrangement":"foster_care","aboriginal_or_torres_strait_islander":"aboriginal",
    "parent_contributed":true}'
  sd_form cultural_support_plan '{"plan_date":"@219","community_connections":["Pop Demo-River"],
    "parent_contributed":true}' "Dana Riverbend-Test"
  sd_at 214 10:00
  sd_fire match caseworker "$CW1"
  sd_form partnering_activities '{"agreed_on":"@212","activities":["communication_book",
    "cultural_information","welcome_home_visits"]}'
  sd_form communication_book '{"entry_date":"@195","written_by":"carer",
    "update":"Kobi knows his totem now."}' "Merv Sandpiper-Example"
  sd_form safety_network_meeting '{"meeting_date":"@192",
    "members_present":["@member:Jedda Demo-River","@member:Merv Sandpiper-Example"]}'
  sd_form review '{"review_date":"@190","progress":"Good start."}'
  sd_at 188 10:00
  sd_fire strengthen family_link "Ash Quillby-Example"
  sd_form case_plan '{"plan_date":"@170","permanency_goal":"restoration",
    "goals":["Kobi home with Jedda"],"contributed_by":["@member:Jedda Demo-River"]}'
  sd_form review '{"review_date":"@162","progress":"Overnights soon.","decision":"move_forward"}'
  sd_at 160 10:00
  sd_fire sign_plan parent "Jedda Demo-River"
  sd_decide prepare_restoration "Move to Stage 3, agreed with the family" "Jedda Demo-River"
  sd_fire prepare_restoration caseworker "$CW1"
  sd_form family_contact '{"contact_date":"@60","contact_type":"overnight"}' "Merv Sandpiper-Example"
  sd_form family_contact '{"contact_date":"@46","contact_type":"overnight"}' "Merv Sandpiper-Example"
  sd_form safety_network_meeting '{"meeting_date":"@40",
    "members_present":["@member:Jedda Demo-River","@member:Merv Sandpiper-Example",
    "@member:Dana Riverbend-Test"],
    "network_agrees_safe":true}'
  SD_AS=acco_worker sd_form cultural_support_plan '{"plan_date":"@39",
    "community_connections":["Pop Demo-River"],"elders_involved":["Aunty Example"],
    "parent_contributed":true,"acco_endorsed":true,
    "acco_name":"Riverbend Aboriginal Corporation (example)"}' "Dana Riverbend-Test"
  sd_form review '{"review_date":"@38","progress":"Ready to go home.","decision":"move_forward"}'
  sd_at 36 14:00
  sd_decide restore "The child goes home, agreed with the family" "Jedda Demo-River"
  sd_fire restore supervisor "$SUP"
  sd_done "Jedda Demo-River; restored, plan endorsed by the ACCO"

  # ---------------------------------------------------------------- Care leavers: kinship
  SD_WF=care_leavers_kinship SD_ACTOR=$CW2

  # Stage 1: a care leaver and their siblings' carer start co-parenting.
  sd_at 20 09:00
  sd_new care_leavers_kinship CLK-0022 '{"referred_on":"@21"}'
  sd_member care_leaver "Jamie Sampleton" '{"dob":"@age:19:200"}'
  sd_member child "Poppy Sampleton" '{"dob":"@age:9:80"}'
  sd_member child "Finn Sampleton" '{"dob":"@age:7:5"}'
  sd_member carer "Ros Elmwood-Test"
  sd_member family_link "Pat Kestrel-Example"
  sd_consent "Jamie Sampleton" "@20"
  sd_form child_information '{"child_name":"Poppy Sampleton","dob":"@age:9:80",
    "living_arrangement":"foster_care","important_people":["Jamie Sampleton"]}'
  sd_at 12 10:00
  sd_fire match caseworker "$CW2"
  sd_done "Jamie Sampleton; Stage 1 with Poppy and Finn's carer"

  # Stage 3: overnight stays, waiting for the kinship carer assessment.
  sd_at 130 09:00
  sd_new care_leavers_kinship CLK-0014 '{"referred_on":"@133"}'
  sd_member care_leaver "Alexis Testbrook" '{"dob":"@age:20:10"}'
  sd_member child "Ruby Testbrook" '{"dob":"@age:12:30"}'
  sd_member carer "Hal Pinecrest-Example"
  sd_member family_link "Pat Kestrel-Example"
  sd_consent "Alexis Testbrook" "@130"
  sd_form child_information '{"child_name":"Ruby Testbrook","dob":"@age:12:30",
    "living_arrangement":"foster_care"}'
  sd_at 125 10:00
  sd_fire match caseworker "$CW2"
  sd_form partnering_activities '{"agreed_on":"@123","activities":["communication_book",
    "clear_roles","names_decided_together"]}'
  sd_form communication_book '{"entry_date":"@110","written_by":"carer",
    "update":"Ruby made the netball team."}' "Hal Pinecrest-Example"
  sd_form safety_network_meeting '{"meeting_date":"@108",
    "members_present":["@member:Alexis Testbrook","@member:Hal Pinecrest-Example"]}'
  sd_form review '{"review_date":"@106","progress":"Good start."}'
  sd_at 104 10:00
  sd_fire strengthen caseworker "$CW2"
  sd_form case_plan '{"plan_date":"@80","permanency_goal":"kinship_care",
    "goals":["Ruby lives with Alexis"]}'
  sd_form review '{"review_date":"@78","progress":"Weekend visits.","decision":"move_forward"}'
  sd_at 76 10:00
  sd_fire sign_plan care_leaver "Alexis Testbrook"
  sd_decide prepare_restoration "Move to Stage 3, agreed with the family" "Alexis Testbrook"
  sd_fire prepare_restoration caseworker "$CW2"
  sd_form review '{"review_date":"@64","progress":"Alexis has found a three-bedroom rental."}'
  sd_form review '{"review_date":"@50","progress":"Day visits every weekend."}'
  sd_form review '{"review_date":"@36","progress":"First overnight booked."}'
  sd_form family_contact '{"contact_date":"@30","contact_type":"overnight"}' "Hal Pinecrest-Example"
  sd_form review '{"review_date":"@22","progress":"Overnight went well."}'
  sd_form family_contact '{"contact_date":"@16","contact_type":"overnight"}' "Hal Pinecrest-Example"
  sd_form review '{"review_date":"@8","progress":"Assessment booked for next month."}'
  sd_done "Alexis Testbrook; Stage 3, kinship carer assessment booked"

  # ---------------------------------------------------------------- Safe place
  SD_WF=safe_place SD_ACTOR=$FVS

  # Referral: safety plan made, waiting for a carer with a safe place.
  sd_at 2 09:00
  sd_new safe_place SP-0077 '{"referred_on":"@2"}'
  sd_member parent "Morgan Testbury" '{"dob":"@age:29:3"}'
  sd_member child "Lily Testbury" '{"dob":"@age:5:50"}'
  sd_member fv_specialist "$FVS"
  sd_form safety_plan '{"plan_date":"@2","safe_address":"Refuge (address withheld)",
    "strategies":["Code word with school","Phone kept charged"],"protection_order":"applied_for",
    "made_with_specialist":true}'
  sd_consent "Morgan Testbury" "@2"
  sd_done "Morgan Testbury; referral, safety plan made, carer being found"

  # Stage 1 in a carer's home; the 14-day safety review is overdue.
  sd_at 28 09:00
  sd_new safe_place SP-0069 '{"referred_on":"@28"}'
  sd_member parent "Sasha Fieldmock" '{"dob":"@age:36:150"}'
  sd_member child "Eli Fieldmock" '{"dob":"@age:10:20"}'
  sd_member child "Nova Fieldmock" '{"dob":"@age:6:200"}'
  sd_member carer "Hazel Dunmore-Example"
  sd_member family_link "Ari Westcombe-Example"
  sd_member fv_specialist "$FVS"
  sd_form safety_plan '{"plan_date":"@27","safe_address":"4 Sample Court, Testville",
    "safe_contacts":["Hazel Dunmore-Example"],"strategies":["Different route to school"],
    "protection_order":"in_place","made_with_specialist":true}'
  sd_consent "Sasha Fieldmock" "@27"
  sd_form child_information '{"child_name":"Eli Fieldmock","dob":"@age:10:20",
    "living_arrangement":"with_parents"}'
  sd_at 25 10:00
  sd_fire match fv_specialist "$FVS"
  sd_done "Sasha Fieldmock; Stage 1 in a safe place, safety review overdue"

  # Moved on safely to a home of their own.
  sd_at 120 09:00
  sd_new safe_place SP-0041 '{"referred_on":"@120"}'
  sd_member parent "Robin Testvale" '{"dob":"@age:32:12"}'
  sd_member child "Ada Testvale" '{"dob":"@age:3:3"}'
  sd_member carer "Hazel Dunmore-Example"
  sd_member family_link "Ari Westcombe-Example"
  sd_member fv_specialist "$FVS"
  sd_form safety_plan '{"plan_date":"@120","safe_address":"12 Example Lane, Testville",
    "strategies":["Code word with childcare"],"made_with_specialist":true}'
  sd_consent "Robin Testvale" "@120"
  sd_form child_information '{"child_name":"Ada Testvale","dob":"@age:3:3",
    "living_arrangement":"with_parents"}'
  sd_at 118 10:00
  sd_fire match caseworker "$CW1"
  sd_form partnering_activities '{"agreed_on":"@115","activities":["shared_daily_log",
    "safety_planning_together","daily_decisions_together"]}'
  sd_form daily_log '{"log_date":"@110","written_by":"carer",
    "children_today":"Ada slept through the night."}' "Hazel Dunmore-Example"
  sd_form daily_log '{"log_date":"@107","written_by":"parent",
    "children_today":"Ada helped plant tomatoes.","safety_plan_followed":true}' "Robin Testvale"
  sd_form safety_network_meeting '{"meeting_date":"@108",
    "members_present":["@member:Robin Testvale",
    "@member:Hazel Dunmore-Example","@member:Noor Example-Safe"]}'
  sd_form safety_plan '{"plan_date":"@106","strategies":["Code word with childcare"],
    "made_with_specialist":true}'
  sd_at 105 10:00
  sd_fire strengthen caseworker "$CW1"
  sd_form safety_plan '{"plan_date":"@40","strategies":["Code word with childcare"],
    "made_with_specialist":true}'
  sd_form review '{"review_date":"@38","progress":"Robin has a lease offer.","decision":"move_forward"}'
  sd_at 36 10:00
  sd_decide prepare_restoration "Move to Stage 3, agreed with the family" "Robin Testvale"
  sd_fire prepare_restoration caseworker "$CW1"
  sd_form safety_plan '{"plan_date":"@14","strategies":["Code word with childcare","New locks fitted"],
    "made_with_specialist":true,"new_address_safe":true,"protection_order":"in_place"}'
  sd_form review '{"review_date":"@13","progress":"New home assessed as safe.","decision":"close"}'
  sd_form family_feedback '{"feedback_date":"@11","what_helped":"Hazel'"'"'s kitchen table, every night.",
    "what_to_change":"Tell us sooner where we might live next.","listened_to":"yes"}' "Robin Testvale"
  sd_at 10 11:00
  sd_decide move_on "The family moves on to its new home, agreed with them" "Robin Testvale"
  sd_fire move_on fv_specialist "$FVS"
  sd_done "Robin Testvale; moved on safely with Ada"

  # ---------------------------------------------------------------- FPR response
  SD_WF=fpr SD_ACTOR=$NAV

  # Identification: a pregnant mum, consent still to be asked.
  sd_at 4 09:00
  sd_new fpr FPR-0410 '{"pathway":"preservation","identified_by":"Child Protection Navigator"}'
  sd_member parent "Casey Northgate-Test" '{"dob":"@age:24:90","pregnant":true}'
  sd_fire record_priority_group navigator "$NAV"
  sd_done "Casey Northgate-Test; identified (pregnant), consent to ask"

  # Getting to know the family: goals being set.
  sd_at 16 09:00
  sd_new fpr FPR-0398 '{"pathway":"preservation"}'
  sd_member parent "Kai Sample-Lee" '{"dob":"@age:25:300"}'
  sd_member child "Ollie Sample-Lee" '{"dob":"@age:2:30"}'
  sd_member lead_practitioner "Rae Example-Lead"
  sd_consent "Kai Sample-Lee" "@16"
  sd_at 10 10:00
  sd_fire accept navigator "$NAV"
  sd_form goals '{"goal":"A safe sleep routine for Ollie","steps":["Buy a cot","Bedtime chart"],
    "status":"not_started","funding_amount":350,"funding_purpose":"A cot","set_with_family":true}' "Rae Example-Lead"
  sd_done "Kai Sample-Lee; getting to know the family, goals being set"

  # Support at home, preservation pathway, reviews up to date.
  sd_at 62 09:00
  sd_new fpr FPR-0342 '{"pathway":"preservation"}'
  sd_member parent "Charlie Demoford" '{"dob":"@age:37:20"}'
  sd_member child "Max Demoford" '{"dob":"@age:13:100"}'
  sd_member lead_practitioner "Rae Example-Lead"
  sd_consent "Charlie Demoford" "@62"
  sd_at 60 10:00
  sd_fire accept navigator "$NAV"
  sd_form goals '{"goal":"Max back at school full time","status":"in_progress","set_with_family":true}' "Rae Example-Lead"
  sd_form goals '{"goal":"Charlie gets a driver licence","status":"in_progress","funding_amount":1200,
    "funding_purpose":"Driving lessons","set_with_family":true}' "Rae Example-Lead"
  sd_form funding_approval '{"prepared_on":"@47","goal":"Charlie gets a driver licence",
    "amount_approved":1200,"why":"A licence opens the job Charlie was offered."}' "Rae Example-Lead"
  sd_at 46 10:00
  sd_fire approve_funding supervisor "$SUP"
  sd_at 45 10:00
  sd_fire start_support lead_practitioner "Rae Example-Lead"
  sd_form family_home_visit '{"visit_date":"@43","place":"family_home","visited_by":["Rae Example-Lead"],
    "present":["Charlie Demoford","Max Demoford"],"what_we_did":"Morning routine chart together."}' "Rae Example-Lead"
  sd_form service_referral '{"referral_date":"@42","service":"Example Youth Re-engagement",
    "kind":"education","status":"attending","parent_contributed":true}' "Rae Example-Lead"
  sd_form support_delivered '{"started_on":"@41","name":"Tuning in to Teens","kind":"evidence_based_program",
    "sessions":4,"status":"started"}' "Rae Example-Lead"
  sd_form funding_spend '{"spent_on":"@41","goal":"Charlie gets a driver licence","amount":600,
    "what_for":"Five driving lessons"}' "Rae Example-Lead"
  sd_form review '{"review_date":"@40","progress":"Max at school three days a week."}' "Rae Example-Lead"
  sd_at 18 10:00
  sd_form review '{"review_date":"@18","progress":"Max at school full time; driving test booked."}' "Rae Example-Lead"
  sd_done "Charlie Demoford; support at home (preservation)"

  # Reunified: a 12-year-old home from care.
  sd_at 150 09:00
  sd_new fpr FPR-0230 '{"pathway":"reunification"}'
  sd_member parent "Tony Example-North" '{"dob":"@age:41:77"}'
  sd_member child "Tia Example-North" '{"dob":"@age:12:200"}'
  sd_member lead_practitioner "Quinn Example-Lead"
  sd_consent "Tony Example-North" "@150"
  sd_at 146 10:00
  sd_fire accept navigator "$NAV"
  sd_form goals '{"goal":"Tia back at her old school","status":"not_started","set_with_family":true}' "Quinn Example-Lead"
  sd_form goals '{"goal":"A bedroom for Tia","status":"not_started","funding_amount":900,
    "funding_purpose":"Bed and desk","set_with_family":true}' "Quinn Example-Lead"
  sd_form funding_approval '{"prepared_on":"@140","goal":"A bedroom for Tia","amount_approved":900}' "Quinn Example-Lead"
  sd_fire approve_funding supervisor "$SUP"
  sd_at 135 10:00
  sd_fire start_support lead_practitioner "Quinn Example-Lead"
  sd_form funding_spend '{"spent_on":"@120","goal":"A bedroom for Tia","amount":870,
    "what_for":"Bed, mattress and desk"}' "Quinn Example-Lead"
  sd_form review '{"review_date":"@110","progress":"Bedroom ready."}' "Quinn Example-Lead"
  sd_form goals '{"goal":"A bedroom for Tia","status":"achieved","funding_amount":900,
    "set_with_family":true}' "Quinn Example-Lead"
  sd_form review '{"review_date":"@84","progress":"Weekend stays at home."}' "Quinn Example-Lead"
  sd_form review '{"review_date":"@56","progress":"School enrolment done."}' "Quinn Example-Lead"
  sd_form goals '{"goal":"Tia back at her old school","status":"achieved","set_with_family":true}' "Quinn Example-Lead"
  sd_form safety_network_meeting '{"meeting_date":"@30",
    "members_present":["@member:Tony Example-North","@member:Tia Example-North",
    "@member:Quinn Example-Lead"],
    "network_agrees_safe":true}' "Quinn Example-Lead"
  sd_form review '{"review_date":"@29","progress":"Ready to go home.","goals_met":true}' "Quinn Example-Lead"
  sd_form family_feedback '{"feedback_date":"@29","what_helped":"Quinn listened to Tia first.",
    "listened_to":"yes"}' "Tony Example-North"
  sd_at 28 15:00
  sd_fire reunify caseworker "$CW2"
  sd_done "Tony Example-North; Tia reunified home"

  # Outside the priority groups (they are priorities, not eligibility): taken on with a reason.
  sd_at 20 09:00
  sd_new fpr FPR-0405 '{"pathway":"preservation"}'
  sd_member parent "Alex Mockridge" '{"dob":"@age:39:14"}'
  sd_member child "Sam Mockridge" '{"dob":"@age:7:40"}'
  sd_member child "Lou Mockridge" '{"dob":"@age:8:300"}'
  sd_member lead_practitioner "Rae Example-Lead"
  sd_fire record_priority_group navigator "$NAV"
  sd_at 18 11:00
  sd_consent "Alex Mockridge" "@18"
  sd_fire accept_outside_groups navigator "$NAV" "Children are 7 and 8, outside the priority groups; the family support service has a 4-month wait and the school is worried now."
  sd_done "Alex Mockridge; outside the priority groups, taken on with the reason"

  # ---------------------------------------------------------------- Partnership plan
  SD_WF=partnership_plan SD_ACTOR="Quinn Example-Lead"

  # Referral: no Lead Professional named yet.
  sd_at 5 09:00
  sd_new partnership_plan CT-0155 '{"referred_by":"Example Primary School"}'
  sd_member family "Aroha Testhaven"
  sd_member child "Nikau Testhaven" '{"dob":"@age:9:30"}'
  sd_done "Aroha Testhaven; referral, Lead Professional to be named"

  # Building the relationship; the family has not decided yet.
  sd_at 22 09:00
  sd_new partnership_plan CT-0149
  sd_member family "Mere Examplestone"
  sd_member child "Tama Examplestone" '{"dob":"@age:14:60"}'
  sd_member lead_professional "Quinn Example-Lead"
  sd_at 20 10:00
  sd_fire allocate team_member "Hemi Teamwork-Example"
  sd_done "Mere Examplestone; building a relationship"

  # Working the plan; the 6-weekly review is overdue.
  sd_at 75 09:00
  sd_new partnership_plan CT-0120
  sd_member family "Wiremu Sampleview"
  sd_member child "Aria Sampleview" '{"dob":"@age:11:10"}'
  sd_member lead_professional "Quinn Example-Lead"
  sd_fire allocate supervisor "$SUP"
  sd_form voluntary_agreement '{"agreed_on":"@70","agreed_by":["@member:Wiremu Sampleview"],
    "agrees_to_support":true,"understands_voluntary":true}'
  sd_consent "Wiremu Sampleview" "@70"
  sd_at 70 10:00
  sd_fire agree lead_professional "Quinn Example-Lead"
  sd_form childrens_team_plan '{"plan_date":"@63","children_needs":"Aria needs help with reading.",
    "goals":["Aria reading at her year level","Wiremu connected to a dads group"],
    "child_views":"Aria wants to read to her little brother.","decided_with_family":true}'
  sd_at 62 10:00
  sd_fire agree_plan family "Wiremu Sampleview"
  sd_decide start_plan "Start working the plan, agreed with the family" "Wiremu Sampleview"
  sd_fire start_plan lead_professional "Quinn Example-Lead"
  sd_done "Wiremu Sampleview; working the plan, review overdue"

  # Goals achieved, with the family's feedback.
  sd_at 130 09:00
  sd_new partnership_plan CT-0098
  sd_member family "Ngaire Demoheart"
  sd_member child "Manaia Demoheart" '{"dob":"@age:7:70"}'
  sd_member lead_professional "Quinn Example-Lead"
  sd_fire allocate team_member "Hemi Teamwork-Example"
  sd_at 120 10:00
  sd_form voluntary_agreement '{"agreed_on":"@120","agreed_by":["@member:Ngaire Demoheart"],
    "agrees_to_support":true,"understands_voluntary":true}'
  sd_consent "Ngaire Demoheart" "@120"
  sd_fire agree lead_professional "Quinn Example-Lead"
  sd_form childrens_team_plan '{"plan_date":"@112","children_needs":"Manaia to settle at school.",
    "goals":["Manaia at school every day"],"child_views":"Manaia wants to join kapa haka.",
    "decided_with_family":true}'
  sd_at 110 10:00
  sd_fire agree_plan family "Ngaire Demoheart"
  sd_decide start_plan "Start working the plan, agreed with the family" "Ngaire Demoheart"
  sd_fire start_plan lead_professional "Quinn Example-Lead"
  sd_form review '{"review_date":"@70","progress":"Attendance at 90%."}'
  sd_form review '{"review_date":"@30","progress":"No days missed this term.","goals_met":true,
    "family_feedback":"Ngaire: we felt listened to."}'
  sd_form family_feedback '{"feedback_date":"@30","what_helped":"Quinn came to us and listened.",
    "child_views":"Manaia loves kapa haka.","listened_to":"yes"}' "Ngaire Demoheart"
  sd_at 28 11:00
  sd_fire achieve lead_professional "Quinn Example-Lead"
  sd_done "Ngaire Demoheart; goals achieved"

  # The family chose to stop: taking part is voluntary.
  sd_at 60 09:00
  sd_new partnership_plan CT-0131
  sd_member family "Pita Testwater"
  sd_member child "Kahu Testwater" '{"dob":"@age:15:30"}'
  sd_member lead_professional "Quinn Example-Lead"
  sd_fire allocate team_member "Hemi Teamwork-Example"
  sd_at 35 16:00
  sd_fire withdraw family "Pita Testwater" "Kahu is back at school and our whānau are helping; we will call if we need you."
  sd_done "Pita Testwater; the family withdrew"

  sample_people_and_links
}

# sd_link CASE-REF OTHER-REF KIND REASON: case CASE-REF links to OTHER-REF (sibling, continues).
sd_link() {
  KF_STEP="link ${1} to ${2} as $3"
  kf case link "${SD_REF_CASE[$1]}" "${SD_REF_CASE[$2]}" --as "$3" --reason "$4" --actor "$SD_ACTOR"
}

# sd_member_end NAME REASON "@N": member NAME of case C left the case N days ago.
sd_member_end() {
  sd_member_id "$1"
  local member=$REPLY
  sd_json "{\"d\":\"$3\"}"
  KF_STEP="case $C: $1 leaves the case"
  kf case member end "$C" "$member" --reason "$2" --on "${SD_JSON:6:10}" --actor "$SD_ACTOR"
}

# People who change and cases that belong together: a carer who changed, siblings in care
# with linked cases, a preservation case continuing as a co-parenthood referral, a child who
# returned to care after going home, and the FPR identification queue's priority groups.
sample_people_and_links() {
  # ---------------------------------------------------------------- A carer who changed
  SD_WF=coparenthood SD_ACTOR=$CW1
  sd_at 70 09:00
  sd_new coparenthood CP-1979 '{"referred_on":"@74"}'
  sd_member parent "Sasha Ferngully-Test" '{"dob":"@age:30:12"}'
  sd_member other_parent "Nico Ferngully-Test" '{"dob":"@age:32:80"}'
  sd_member child "Tilly Ferngully-Test" '{"dob":"@age:7:40"}'
  sd_member kin "Grandma Bev Ferngully-Test"
  sd_member carer "Pat Willowby-Example"
  sd_member family_link "Ari Westcombe-Example"
  sd_consent "Sasha Ferngully-Test" "@70"
  sd_form child_information '{"child_name":"Tilly Ferngully-Test","dob":"@age:7:40",
    "living_arrangement":"foster_care","important_people":["Grandma Bev"],"parent_contributed":true}'
  sd_at 66 10:00
  sd_fire match caseworker "$CW1"
  sd_form partnering_activities '{"agreed_on":"@60","activities":["communication_book",
    "speak_positively","carer_attends_contact"]}'
  sd_form communication_book '{"entry_date":"@55","written_by":"carer",
    "update":"Tilly started netball."}' "Pat Willowby-Example"
  sd_at 40 11:00
  sd_member_end "Pat Willowby-Example" "Pat's partner became seriously ill; Pat can no longer care for Tilly" "@40"
  sd_at 33 10:00
  sd_member carer "Jules Ironbark-Example"
  sd_form communication_book '{"entry_date":"@30","written_by":"carer",
    "update":"Hello from Jules: Tilly showed me her netball moves."}' "Jules Ironbark-Example"
  sd_form review '{"review_date":"@26","progress":"Tilly settling with Jules; Sasha and Jules have met."}'
  sd_done "Sasha Ferngully-Test; carer changed (Pat left, Jules matched)"

  # ---------------------------------------------------------------- Siblings in care, linked
  SD_ACTOR=$CW2
  local sib ref child a1 a2 a3 carer
  for sib in "CP-1994:Ollie Brookvale-Sample:@age:9:10:Fern Cottonwood-Example" \
             "CP-1995:Ruby Brookvale-Sample:@age:3:200:Wes Paperbark-Example"; do
    IFS=: read -r ref child a1 a2 a3 carer <<<"$sib"
    sd_at 50 09:00
    sd_new coparenthood "$ref" '{"referred_on":"@52"}'
    sd_member parent "Morgan Brookvale-Sample" '{"dob":"@age:28:90"}'
    sd_member child "$child" "{\"dob\":\"$a1:$a2:$a3\"}"
    sd_member carer "$carer"
    sd_member family_link "Lee Brightwater-Example"
    sd_consent "Morgan Brookvale-Sample" "@50"
    sd_form child_information "{\"child_name\":\"$child\",\"dob\":\"$a1:$a2:$a3\",
      \"living_arrangement\":\"foster_care\",\"parent_contributed\":true}"
    if [[ $ref == CP-1995 ]]; then
      sd_member sibling "Ollie Brookvale-Sample"
      sd_link CP-1995 CP-1994 sibling "Ollie and Ruby are brother and sister, in care with different carers"
    fi
    sd_at 45 10:00
    sd_fire match caseworker "$CW2"
    sd_done "Morgan Brookvale-Sample; $child, sibling cases linked"
  done

  # ------------------------------------- A preservation case continuing as a restoration referral
  SD_WF=preservation SD_ACTOR=$CW2
  sd_at 120 09:00
  sd_new preservation PR-0262 '{"referred_on":"@122"}'
  sd_member parent "Ash Quarrydale-Test" '{"dob":"@age:24:10"}'
  sd_member child "Kobi Quarrydale-Test" '{"dob":"@age:2:40"}'
  sd_member carer "Mel Saltbush-Example"
  sd_member family_link "Lee Brightwater-Example"
  sd_consent "Ash Quarrydale-Test" "@120"
  sd_form child_information '{"child_name":"Kobi Quarrydale-Test","dob":"@age:2:40",
    "living_arrangement":"with_parents","parent_contributed":true}'
  sd_at 115 10:00
  sd_fire match caseworker "$CW2"
  sd_at 30 15:00
  sd_fire enter_care supervisor "$SUP" "Ash was admitted to hospital; Kobi entered care with Mel"
  sd_done "Ash Quarrydale-Test; the child entered care"

  SD_WF=coparenthood
  sd_at 25 09:00
  sd_new coparenthood CP-2012 '{"referred_on":"@26","referred_by":"Co-parenthood for preservation"}'
  sd_member parent "Ash Quarrydale-Test" '{"dob":"@age:24:10"}'
  sd_member child "Kobi Quarrydale-Test" '{"dob":"@age:2:40"}'
  sd_member carer "Mel Saltbush-Example"
  sd_member family_link "Lee Brightwater-Example"
  sd_consent "Ash Quarrydale-Test" "@25"
  sd_form child_information '{"child_name":"Kobi Quarrydale-Test","dob":"@age:2:40",
    "living_arrangement":"foster_care","parent_contributed":true}'
  sd_link CP-2012 PR-0262 continues "Kobi entered care: co-parenthood toward his return home"
  sd_at 22 10:00
  sd_fire match caseworker "$CW2"
  sd_done "Ash Quarrydale-Test; continues PR-0262, matched with the same carer"

  # ---------------------------------------------------------------- Home, then back in care
  SD_ACTOR=$CW1
  sd_at 230 09:00
  sd_new coparenthood CP-1822 '{"referred_on":"@232"}'
  sd_member parent "Remy Hollowell-Test" '{"dob":"@age:29:150"}'
  sd_member child "Evie Hollowell-Test" '{"dob":"@age:5:90"}'
  sd_member carer "Tess Banksia-Example"
  sd_member family_link "Sam Fenwick-Example"
  sd_member peer_worker "Jo Peer-Example"
  sd_consent "Remy Hollowell-Test" "@230"
  sd_form child_information '{"child_name":"Evie Hollowell-Test","dob":"@age:5:90",
    "living_arrangement":"foster_care","parent_contributed":true}'
  sd_at 225 10:00
  sd_fire match caseworker "$CW1"
  sd_form partnering_activities '{"agreed_on":"@222","activities":["communication_book",
    "speak_positively","welcome_home_visits"]}'
  sd_form communication_book '{"entry_date":"@215","written_by":"carer",
    "update":"Evie drew a picture for you."}' "Tess Banksia-Example"
  sd_form safety_network_meeting '{"meeting_date":"@212",
    "members_present":["@member:Remy Hollowell-Test","@member:Tess Banksia-Example"]}'
  sd_form review '{"review_date":"@210","progress":"Good start."}'
  sd_at 205 10:00
  sd_fire strengthen caseworker "$CW1"
  sd_form case_plan '{"plan_date":"@190","permanency_goal":"restoration",
    "goals":["Evie home with Remy"],"contributed_by":["@member:Remy Hollowell-Test"]}'
  sd_form review '{"review_date":"@150","progress":"Ready for Stage 3.","decision":"move_forward"}'
  sd_at 148 10:00
  sd_fire sign_plan parent "Remy Hollowell-Test"
  sd_decide prepare_restoration "Move to Stage 3, agreed with the family" "Remy Hollowell-Test"
  sd_fire prepare_restoration caseworker "$CW1"
  sd_form family_home_visit '{"visit_date":"@140","place":"family_home",
    "visited_by":["Sam Fenwick-Example","Jo Peer-Example"],"what_we_did":"Jo shared how she got her kids home."}'
  sd_member_id "Jo Peer-Example"
  sd_form family_home_visit "{\"visit_date\":\"@139\",\"place\":\"family_home\",
    \"visited_by\":[\"Jo Peer-Example\"],\"peer_worker\":$REPLY,\"purpose\":\"Co-visit: bedtime routine\"}"
  sd_form family_contact '{"contact_date":"@135","contact_type":"overnight","hours":24}' "Tess Banksia-Example"
  sd_form family_contact '{"contact_date":"@128","contact_type":"overnight","hours":48}' "Tess Banksia-Example"
  sd_form safety_network_meeting '{"meeting_date":"@125",
    "members_present":["@member:Remy Hollowell-Test","@member:Tess Banksia-Example"],
    "network_agrees_safe":true}'
  sd_form review '{"review_date":"@125","progress":"Network agrees Evie can be safe at home.",
    "decision":"move_forward"}'
  sd_at 124 14:00
  sd_decide restore "Evie goes home, agreed with the family" "Remy Hollowell-Test"
  sd_fire restore supervisor "$SUP"
  sd_form review '{"review_date":"@96","progress":"Evie settled at home."}'
  sd_form review '{"review_date":"@68","progress":"Worries about Remy'"'"'s health."}'
  sd_at 60 16:00
  sd_fire return_to_care caseworker "$CW1" "Remy was admitted to hospital; Evie is back with Tess"
  sd_done "Remy Hollowell-Test; went home, then returned to care"

  # ---------------------------------------------------------------- FPR identification queue
  # Families identified in the order they came, worked in the order of the seed's priority
  # groups: kinflow case list --workflow fpr --state identification --sort priority
  SD_WF=fpr SD_ACTOR=$NAV
  sd_at 6 09:00
  sd_new fpr FPR-0406 '{"pathway":"preservation","identified_by":"Child Protection Navigator"}'
  sd_member parent "Dana Ridgeway-Test" '{"dob":"@age:41:20"}'
  sd_member child "Kip Ridgeway-Test" '{"dob":"@age:12:100"}'
  sd_fire record_priority_group navigator "$NAV"
  sd_done "Dana Ridgeway-Test; identified (10 to 15), priority 3"
  sd_at 5 09:00
  sd_new fpr FPR-0407 '{"pathway":"reunification","identified_by":"Child Protection Navigator"}'
  sd_member parent "Jaye Coldstream-Test" '{"dob":"@age:36:20"}'
  sd_member child "Ari Coldstream-Test" '{"dob":"@age:7:100"}'
  sd_fire record_priority_group navigator "$NAV"
  sd_done "Jaye Coldstream-Test; identified, outside the priority groups (priority 4)"
  sd_at 3 09:00
  sd_new fpr FPR-0412 '{"pathway":"preservation","identified_by":"Child Protection Navigator"}'
  sd_member parent "Lane Wattlebury-Test" '{"dob":"@age:22:20"}'
  sd_member child "Noa Wattlebury-Test" '{"dob":"@age:1:100"}'
  sd_fire record_priority_group navigator "$NAV"
  sd_done "Lane Wattlebury-Test; identified (birth to 5), priority 2"
}

# --- the walkthrough: one co-parenthood case, referral to restored ------------------------

# step DAYS-AGO "Heading" "What happens, in a practitioner's words"
step() {
  sd_at "$1" "${4:-10:00}"
  SD_SECTION="walkthrough, '$2'"
  TZ=UTC printf -v REPLY '%(%a %d %b %Y)T' $((SD_CLOCK_DAY * 86400))
  printf '\n== %s (%s days ago): %s\n' "$REPLY" $((SD_TODAY_DAYS - SD_CLOCK_DAY)) "$2"
  printf '   %s\n' "$3"
}

sample_walkthrough() {
  local KF_QUIET=0 SD_ACTOR=$CW1 SD_IN_WALK=1
  SD_WF=coparenthood

  step 170 "Referral received" \
    "Child Protection refers Robin's family: Ava (6) and Leo (3) have been in foster care for a month." 09:15
  sd_new coparenthood CP-1811 '{"referred_on":"@172","referred_by":"Child Protection (South)"}'
  # shellcheck disable=SC2034  # read by scripts/run.sh
  WALK_CASE=$C
  sd_member parent "Robin Example" '{"dob":"@age:31:120"}'
  sd_member child "Ava Example" '{"dob":"@age:6:75"}'
  sd_member child "Leo Example" '{"dob":"@age:3:20"}'
  sd_member kin "Nan Example"
  sd_member other_parent "Chris Example-Far"

  step 168 "Consent to share information recorded" \
    "Robin agrees that the carer, the Family Link and the school may share information about the children."
  sd_consent "Robin Example" "@168"

  step 168 "Why the family cannot be matched yet" \
    "The caseworker asks what is still needed before matching: the engine lists every unmet condition." 10:30
  KF_STEP="case $C: list moves"
  kf case moves "$C" --as caseworker

  step 165 "Child information form completed with Robin" \
    "Robin tells the carer what Ava and Leo need: routines, comforts, school, the people who matter."
  sd_form child_information '{"child_name":"Ava Example","known_as":"Avie","dob":"@age:6:75",
    "living_arrangement":"foster_care","school":"Example Primary School",
    "important_people":["Nan Example","Uncle Chris Example"],
    "daily_routine":"Bath, two stories, lights out at 7:30.","comforts":"Her rabbit, Button.",
    "parent_contributed":true}'

  step 161 "Carer and Family Link matched with the family" \
    "Kit Maple-Example will care for Ava and Leo and co-parent with Robin; Sam Fenwick-Example supports Robin as Family Link."
  sd_member carer "Kit Maple-Example"
  sd_member family_link "Sam Fenwick-Example"
  sd_fire match caseworker "$CW1"

  step 157 "Ways to co-parent agreed (Stage 1: building trust)" \
    "At their first meeting Robin and Kit agree how they will share the children's care: Kit will be 'Aunty Kit'."
  sd_form partnering_activities '{"agreed_on":"@157","activities":["speak_positively",
    "communication_book","carer_attends_contact","welcome_home_visits","your_child"],
    "processes":["case_plan","child_health_passport","education_support_plan"],
    "child_calls_carer":"Aunty Kit"}' "Sam Fenwick-Example"

  step 155 "Levers for change found with Robin" \
    "What Robin wants to change and what will help: the Family Link and a peer worker visit Robin at home."
  sd_form family_home_visit '{"visit_date":"@155","place":"family_home",
    "visited_by":["Sam Fenwick-Example","Jo Peer-Example (peer worker)"],"present":["Robin Example"],
    "what_we_did":"Robin talked about the mum she wants to be."}' "Sam Fenwick-Example"
  sd_form levers_for_change '{"recorded_on":"@155","levers":["Walking Ava to her first day of Year 1",
    "A lease of her own","Nan'"'"'s support"],"strengths":["Never misses contact"]}' "Sam Fenwick-Example"
  sd_form service_referral '{"referral_date":"@154","service":"PSU","kind":"psu","status":"referred",
    "parent_contributed":true,"reason":"Robin asked for it herself."}'

  step 150 "Communication book started" \
    "Kit writes to Robin about the children's week; Robin writes back."
  sd_form communication_book '{"entry_date":"@150","written_by":"carer",
    "update":"Ava lost her first tooth and wants to show you.","photos_shared":true}' "Kit Maple-Example"
  sd_form communication_book '{"entry_date":"@149","written_by":"parent",
    "update":"Tell her the tooth fairy is coming! Thank you for the photos."}' "Robin Example"

  step 143 "Safety and support network meets, parent and carer together" \
    "Robin, Kit, Nan and the Family Link meet with the caseworker about what is working and what needs to happen."
  sd_form safety_network_meeting '{"meeting_date":"@143",
    "members_present":["@member:Robin Example","@member:Kit Maple-Example","@member:Nan Example",
    "@member:Sam Fenwick-Example"],"strengths":"Robin never misses contact.",
    "worries":"Housing is temporary.","safety_goals":"A stable lease."}'

  step 136 "Stage 1 review" \
    "The first four-weekly review: trust is building and contact has moved to Kit's home."
  sd_form review '{"review_date":"@136","progress":"Robin visits at Kit'"'"'s home twice a week.",
    "parent_views":"I feel like I am still their mum.","decision":"move_forward"}'

  step 134 "Move to Stage 2: strengthening parenting capability" \
    "The Family Link moves the case on: the co-parenting agreement is working and the communication book is in use."
  sd_fire strengthen family_link "Sam Fenwick-Example"

  step 125 "Case plan and education support plan written with Robin" \
    "The plan aims for Ava and Leo to go home; Robin and Kit both helped write it. Robin will go to Ava's school events."
  sd_form case_plan '{"plan_date":"@125","permanency_goal":"restoration",
    "goals":["Ava and Leo home before the school year ends","Robin secures a stable lease"],
    "parent_responsibilities":"Parenting course; attend school and GP visits.",
    "carer_responsibilities":"Keep the communication book; welcome Robin at home.",
    "contributed_by":["@member:Robin Example","@member:Kit Maple-Example"]}'
  sd_form education_support_plan '{"plan_date":"@125","school":"Example Primary School",
    "year_level":"Year 1","school_events_for_parents":["Sports day","Parent-teacher night"],
    "parent_contributed":true}'

  step 108 "Stage 2 review" \
    "Robin has started a parenting course and goes to the children's GP visits with Kit."
  sd_form review '{"review_date":"@108","progress":"Parenting course under way; GP visits together.",
    "decision":"continue"}'

  step 100 "First unsupervised day with the children" \
    "Robin takes Ava and Leo to the beach for the day; Kit notes in the communication book how it went."
  sd_form family_contact '{"contact_date":"@100","contact_type":"unsupervised","hours":6,
    "went_well":"A day at the beach."}' "Kit Maple-Example"

  step 92 "Robin signs a lease" \
    "The caseworker records the family's new two-bedroom home on the case."
  sd_set '{"housing":"Two-bedroom lease signed","housing_from":"@92"}'

  step 82 "Stage 2 review: ready for Stage 3" \
    "The review agrees to prepare for restoration."
  sd_form review '{"review_date":"@82","progress":"Lease signed; course completed.",
    "decision":"move_forward"}'

  step 80 "Move to Stage 3: preparing for restoration" \
    "The case plan, written with Robin, aims for restoration: the caseworker starts Stage 3."
  sd_fire sign_plan parent "Robin Example"
  sd_decide prepare_restoration "Move to Stage 3, agreed with the family" "Robin Example"
  sd_fire prepare_restoration caseworker "$CW1"

  step 74 "First overnight stay at home" \
    "Ava and Leo spend their first night at Robin's new home."
  sd_form family_contact '{"contact_date":"@74","contact_type":"overnight","hours":24,
    "went_well":"Bedtime story with mum.","child_nurtured_at_end":true}' "Kit Maple-Example"

  step 70 "Stage 3 review" \
    "In Stage 3 the case is reviewed every two weeks."
  sd_form review '{"review_date":"@70","progress":"First overnight went well."}'

  step 60 "Second overnight stay, two nights this time" \
    "Ava and Leo stay two nights with Robin; Kit drops them off and picks them up."
  sd_form family_contact '{"contact_date":"@60","contact_type":"overnight","hours":48}' "Kit Maple-Example"

  step 56 "Stage 3 review" \
    "Weekend stays are going well; the next step is the network's view on safety at home."
  sd_form review '{"review_date":"@56","progress":"Weekend stays going well."}'

  step 35 "Network agrees the children can be safe at home" \
    "Robin, Kit and Nan meet with the network: everyone agrees Ava and Leo can be safe at home."
  sd_form safety_network_meeting '{"meeting_date":"@35",
    "members_present":["@member:Robin Example","@member:Kit Maple-Example","@member:Nan Example",
    "@member:Sam Fenwick-Example"],"network_agrees_safe":true,
    "strengths":"Stable home; Kit stays in the children'"'"'s lives as Aunty Kit."}'
  sd_form social_capital '{"recorded_on":"@35","network":["Nan Example","Kit Maple-Example",
    "Playgroup parents","Neighbour Dee"],"community_connections":["Example Primary P&C"],
    "keeps_change_going":"Sunday dinners at Nan'"'"'s; Kit stays Aunty Kit."}' "Sam Fenwick-Example"
  sd_form review '{"review_date":"@35","progress":"Network agrees restoration.",
    "decision":"move_forward","child_views":"Ava: can Aunty Kit still come to my birthday?"}'

  step 32 "Children restored home" \
    "The supervisor approves Ava and Leo's return home to Robin." 14:00
  sd_decide restore "The child goes home, agreed with the family" "Robin Example"
  sd_fire restore supervisor "$SUP"

  step 32 "The case as it stands" \
    "Time from matching to restoration, and where the network agreed it, are recorded on the case." 14:05
  KF_STEP="case $C: show"
  kf case show "$C"
}

# Run directly (not sourced): load the sample data into KINFLOW_DB (default ./kinflow.db).
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  KINFLOW_BIN=${KINFLOW_BIN:-./kinflow}
  export KINFLOW_DB=${KINFLOW_DB:-./kinflow.db}
  sample_data_load
  sample_walkthrough
fi
