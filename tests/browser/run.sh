#!/usr/bin/env bash
# tests/browser/run.sh: the console in a real browser. Makes a scratch database with the
# programme library, two teams and their people, and four cases, starts `kinflow serve` on a loopback port, and drives
# Debian's chromium with Playwright (tests/browser/console.test.mjs, then family.test.mjs, then
# migrate.test.mjs on a programme with two versions).
# Screenshots go to tests/out/. Each test ends with "N passed, N failed".
#
# A second server on the same database ends sessions after 125 s unused, for the warning
# given two minutes before a session ends. Both show times in Australia/Sydney.
#
# Needs: chromium, node and npm (installed here when missing), playwright-core and axe-core
# from npm (never a browser download). KINFLOW_BIN: the binary (default ./kinflow).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
K=${KINFLOW_BIN:-$ROOT/kinflow}
HERE=$ROOT/tests/browser
OUT=$ROOT/tests/out
mkdir -p "$OUT"
rm -f "$OUT"/browser-*.png

die() { echo "FAIL setup: $*"; echo "0 passed, 1 failed"; exit 1; }

# --- what the browser tests need ------------------------------------------------------------
# scripts/install-deps.sh chromium nodejs npm, asking only for what is missing: a Node.js
# that did not come from Debian (NodeSource's nodejs, which bundles npm) conflicts with
# Debian's npm package, so npm is asked for only when there is no npm at all.
# The passes on the two stores run side by side: one of them sets up at a time, and the other
# finds it done.
exec 9>"$OUT/.browser-setup.lock"
flock -w 900 9 || die "another pass held the browser set-up's lock for 15 minutes"
pkgs="chromium"
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
scripts/install-deps.sh $pkgs >/dev/null || die "could not install $pkgs"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[[ -x $CHROMIUM ]] || die "no chromium at $CHROMIUM"
# playwright-core only: it never downloads a browser of its own (Debian's chromium is used);
# axe-core checks each page's accessibility. The lock file pins the versions; without it,
# the newest 1.x and 4.x.
if [[ ! -d $HERE/node_modules/playwright-core || ! -d $HERE/node_modules/axe-core ]]; then
  npm ci --prefix "$HERE" --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
    npm install --prefix "$HERE" --no-audit --no-fund --loglevel=error playwright-core@1 axe-core@4 >/dev/null 2>&1 ||
    die "npm install playwright-core axe-core failed"
fi
flock -u 9
exec 9>&-
[[ -x $K ]] || die "no kinflow binary at $K (run make)"

# --- a scratch database: the programme library, two teams, their people, and cases -----------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kinflow-browser.XXXXXX")
SERVER_PID=""
IDLE_PID=""
stop() {
  if [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; then
    kill "$1" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$1" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$1" 2>/dev/null
  fi
}
PG_DB=""
cleanup() {
  stop "$SERVER_PID"
  stop "$IDLE_PID"
  [[ -n $PG_DB ]] && { scripts/pg-cluster.sh dropdb "$KINFLOW_TEST_PG" "$PG_DB" || echo "could not drop database $PG_DB" >&2; }
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The store: a SQLite file, or a fresh database on the PostgreSQL cluster KINFLOW_TEST_PG names.
if [[ -n ${KINFLOW_TEST_PG:-} ]]; then
  KINFLOW_DB=$(scripts/pg-cluster.sh newdb "$KINFLOW_TEST_PG") || die "no database on the PostgreSQL cluster in $KINFLOW_TEST_PG"
  PG_DB=${KINFLOW_DB##*/}
  export KINFLOW_DB
else
  export KINFLOW_DB=$TMP/kinflow.db
fi
export KINFLOW_OUTBOX=off
"$K" init >/dev/null || die "kinflow init"
files=()
for f in workflows/*.lua; do [[ $f == *.test.lua ]] || files+=("$f"); done
"$K" deploy "${files[@]}" >/dev/null || die "kinflow deploy"

"$K" team add north >/dev/null && "$K" team add south >/dev/null || die "kinflow team add"
LOGIN=casey.worker
PASSWORD="browser test: first caseworker"
printf '%s\n' "$PASSWORD" | "$K" user add "$LOGIN" --role caseworker --team north --password-stdin >/dev/null ||
  die "kinflow user add"
# casey's team: a supervisor and another caseworker; and a caseworker of the other team.
SUPER=sid.super
SUPER_PASSWORD="browser test: supervisor"
printf '%s\n' "$SUPER_PASSWORD" | "$K" user add "$SUPER" --role supervisor --team north --password-stdin >/dev/null ||
  die "kinflow user add (supervisor)"
printf '%s\n' "browser test: second caseworker" | "$K" user add nia.north --role caseworker --team north --password-stdin >/dev/null ||
  die "kinflow user add (nia.north)"
OTHER=lou.south
OTHER_PASSWORD="browser test: other team"
printf '%s\n' "$OTHER_PASSWORD" | "$K" user add "$OTHER" --role caseworker --team south --password-stdin >/dev/null ||
  die "kinflow user add (lou.south)"
ADMIN=ada.admin
ADMIN_PASSWORD="browser test: administrator"
printf '%s\n' "$ADMIN_PASSWORD" | "$K" user add "$ADMIN" --role admin --password-stdin >/dev/null ||
  die "kinflow user add (admin)"

# A co-parenthood referral with consent given, a parent, a carer and a Family Link worker:
# once the child information form is in, it can be matched (referral -> Stage 1).
CASE=$("$K" case new coparenthood --ref CP-BROWSER --data '{"referred_by":"Child Protection (South)"}' --json |
  sed -n 's/^  "id": \([0-9]*\),$/\1/p' | head -1)
[[ -n $CASE ]] || die "kinflow case new"
"$K" case member add "$CASE" --role parent --name "Robin Example" --data '{"dob":"1994-05-02"}' >/dev/null &&
"$K" case member add "$CASE" --role child --name "Ava Example" --data '{"dob":"2019-08-14"}' >/dev/null &&
"$K" case member add "$CASE" --role carer --name "Kit Maple-Example" >/dev/null &&
"$K" case member add "$CASE" --role family_link --name "Sam Fenwick-Example" >/dev/null &&
"$K" consent give "$CASE" --member "$("$K" case members "$CASE" --json |
  python3 -c 'import json,sys; print([m["id"] for m in json.load(sys.stdin) if m["role"] == "parent"][0])')" \
  --purpose share_with_partners --from 2026-01-05 >/dev/null ||
  die "setting up case $CASE"
"$K" case allocate "$CASE" --to "$LOGIN" --reason "referred to casey's team" >/dev/null ||
  die "kinflow case allocate $CASE"
# A case of nia's, and one no one holds yet (the supervisor's queue).
OTHER_CASE=$("$K" case new coparenthood --ref CP-NIA --json | sed -n 's/^  "id": \([0-9]*\),$/\1/p' | head -1)
[[ -n $OTHER_CASE ]] || die "kinflow case new (CP-NIA)"
"$K" case member add "$OTHER_CASE" --role child --name "Noor Example" >/dev/null &&
"$K" case allocate "$OTHER_CASE" --to nia.north --reason "nia knows the family" >/dev/null ||
  die "setting up case $OTHER_CASE"
"$K" case new preservation --ref PR-BROWSER >/dev/null || die "kinflow case new preservation"

# The family page's case (tests/browser/family.test.mjs), on the test programme of the HTTP
# suite: casey's, a parent and a carer, the plan's goals written, a staff-only note.
"$K" deploy tests/http/workflows/family_test.lua >/dev/null || die "kinflow deploy family_test"
FAMILY_CASE=$("$K" case new family_test --ref FT-BROWSER --json | sed -n 's/^  "id": \([0-9]*\),$/\1/p' | head -1)
[[ -n $FAMILY_CASE ]] || die "kinflow case new family_test"
"$K" case member add "$FAMILY_CASE" --role parent --name "Robin Example" >/dev/null &&
"$K" case member add "$FAMILY_CASE" --role carer --name "Kit Maple-Example" >/dev/null &&
"$K" form submit "$FAMILY_CASE" plan_goals --data '{"goal":"Ava home for weekends","meeting_on":"2027-06-20"}' >/dev/null &&
"$K" form submit "$FAMILY_CASE" worker_notes --data '{"note":"Staff only: court date in June"}' >/dev/null &&
"$K" case allocate "$FAMILY_CASE" --to "$LOGIN" --reason "casey's family" >/dev/null ||
  die "setting up case $FAMILY_CASE"

# --- the servers ---------------------------------------------------------------------------
export KINFLOW_TIMEZONE=Australia/Sydney
# address_of PID OUT ERR: the address a server printed
address_of() {
  local url=""
  for _ in $(seq 1 100); do
    url=$(grep -ohE 'http://127\.0\.0\.1:[0-9]+' "$2" "$3" 2>/dev/null | head -1)
    [[ -n $url ]] && break
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  echo "$url"
}
"$K" serve --bind 127.0.0.1 --port 0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER_PID=$!
URL=$(address_of "$SERVER_PID" "$TMP/serve.out" "$TMP/serve.err")
if [[ -z $URL ]]; then
  echo "server said:"; cat "$TMP/serve.out" "$TMP/serve.err"
  die "kinflow serve did not print its address"
fi
KINFLOW_SESSION_IDLE=125 "$K" serve --bind 127.0.0.1 --port 0 >"$TMP/idle.out" 2>"$TMP/idle.err" &
IDLE_PID=$!
IDLE_URL=$(address_of "$IDLE_PID" "$TMP/idle.out" "$TMP/idle.err")
if [[ -z $IDLE_URL ]]; then
  echo "server said:"; cat "$TMP/idle.out" "$TMP/idle.err"
  die "the second kinflow serve did not print its address"
fi

# --- the browser ---------------------------------------------------------------------------
KF_URL=$URL KF_LOGIN=$LOGIN KF_PASSWORD=$PASSWORD KF_ADMIN=$ADMIN KF_ADMIN_PASSWORD=$ADMIN_PASSWORD \
KF_SUPER=$SUPER KF_SUPER_PASSWORD=$SUPER_PASSWORD KF_OTHER=$OTHER KF_OTHER_PASSWORD=$OTHER_PASSWORD \
KF_CASE=$CASE KF_OUT=$OUT KF_CHROMIUM=$CHROMIUM KF_PROFILE=$TMP/profile \
KF_IDLE_URL=$IDLE_URL KF_BIN=$K \
  node "$HERE/console.test.mjs" | tee "$TMP/console.log"
rc=${PIPESTATUS[0]}
# The family page on a phone (its own browser profile)
KF_URL=$URL KF_LOGIN=$LOGIN KF_PASSWORD=$PASSWORD KF_FAMILY_CASE=$FAMILY_CASE KF_OUT=$OUT \
KF_CHROMIUM=$CHROMIUM KF_PROFILE=$TMP/profile-family \
  node "$HERE/family.test.mjs" | tee "$TMP/family.log"
rc2=${PIPESTATUS[0]}
[[ $rc -ne 0 ]] || rc=$rc2
# Programme versions: a programme with two versions, made only now so that the tests above
# do not meet its cases (they would be in the supervisor's queue): three open cases on
# version 1, at intake, trust and legacy; then version 2.
mkdir -p "$TMP/v1" "$TMP/v2"
cp tests/browser/migrate/pathway-v1.lua "$TMP/v1/pathway.lua" &&
cp tests/browser/migrate/pathway-v2.lua "$TMP/v2/pathway.lua" &&
if "$K" deploy "$TMP/v1/pathway.lua" >/dev/null &&
   (for n in 1 2 3; do "$K" case new pathway --ref "PW-$n" >/dev/null || exit 1; done) &&
   "$K" case fire PW-2 start --as caseworker >/dev/null &&
   "$K" case fire PW-3 park --as caseworker >/dev/null &&
   "$K" deploy "$TMP/v2/pathway.lua" >/dev/null; then
  # check, run and undo in the browser (its own profile)
  KF_URL=$URL KF_LOGIN=$LOGIN KF_PASSWORD=$PASSWORD KF_ADMIN=$ADMIN KF_ADMIN_PASSWORD=$ADMIN_PASSWORD \
  KF_OUT=$OUT KF_CHROMIUM=$CHROMIUM KF_PROFILE=$TMP/profile-migrate \
    node "$HERE/migrate.test.mjs" | tee "$TMP/migrate.log"
  rc3=${PIPESTATUS[0]}
else
  printf 'FAIL setup: the programme with two versions could not be made\n0 passed, 1 failed\n' | tee "$TMP/migrate.log"
  rc3=1
fi
[[ $rc -ne 0 ]] || rc=$rc3
# The files' counts, as the suite's last line
total() { grep -hE '^[0-9]+ passed, [0-9]+ failed$' "$TMP/console.log" "$TMP/family.log" "$TMP/migrate.log" | awk -v k="$1" '{ s += (k == "p" ? $1 : $3) } END { print s + 0 }'; }
if [[ $rc -ne 0 ]] && [[ -s $TMP/serve.err ]]; then
  echo "server's messages (last 20 lines):"; tail -20 "$TMP/serve.err"
fi
echo "$(total p) passed, $(total f) failed"
exit $rc
