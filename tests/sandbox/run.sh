#!/usr/bin/env bash
# tests/sandbox/run.sh: the sandbox corpus. Each cases/NAME.lua is one hostile snippet whose
# first line is "-- expect: TEXT", a distinctive part of the refusal it must get. Optional
# "-- expect-top: TEXT" / "-- expect-guard: TEXT" lines among the leading comments override
# it for one placement (for snippets that hand a value back: a file's value and a guard's
# value mean different things). Every snippet runs in two placements:
#   top    the snippet, then a valid workflow, in one file: `kinflow check FILE`
#   guard  the snippet as the body of the guard of transition go: deploy, open a case,
#          `kinflow case fire 1 go --as a`
# and each must exit 1 (never a signal, never the timeout) within LIMIT seconds with ONE
# line on stderr that holds the expected text (and, at the top, FILE:LINE: of the file),
# leaving the case as it was. Then: files that poison their own globals do not affect the
# next file checked in the same process; guards cannot write case data; memory bombs
# (cases/mem_*) stay within the cap plus a margin in peak RSS.
# Usage: run.sh [CASE...] (names of cases/*.lua to run; default all). SANDBOX_JOBS runs that
# many cases at once (default: the number of CPUs).
source "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
LIMIT=20
JOBS=${SANDBOX_JOBS:-$(nproc 2>/dev/null || echo 2)}
CAP_KIB=$((64 * 1024))     # the Lua memory cap
MARGIN_KIB=$((32 * 1024))  # the process itself, the allocator's slack, realloc copies
TIME_BIN=/usr/bin/time
[ -x "$TIME_BIN" ] && "$TIME_BIN" -f %M -o /dev/null true 2>/dev/null || TIME_BIN=""

if [ ! -x "$K" ]; then t_fail "kinflow binary" "$K is missing (run make)"; t_done; exit 1; fi

WF_TOP='return workflow { name = "sandbox_top", roles = { "a" }, initial = "open",
  states = { { "open" }, { "closed", final = true } },
  transitions = { { "go", from = "open", to = "closed", by = { "a" } } } }'

# header FILE KEY: TEXT of the "-- KEY: TEXT" line among the file's leading comments.
header() {
  awk -v p="-- $2: " '!/^--/ { exit } index($0, p) == 1 { print substr($0, length(p) + 1); exit }' "$1"
}

# shown FILE: a file's text on one line, shortened, for failure messages.
shown() {
  local s; s=$(head -c 600 "$1" | tr '\n' '|')
  printf '%s' "${s%|}"
}

# judge RC ERRFILE EXPECT [PATH]: why a refusal is wrong (nothing when it is right). PATH:
# the file the message must name as FILE:LINE: (errors name file and line; a guard's
# refusal may instead carry the guard's own words, so the guard placement gives none).
judge() {
  local rc=$1 errf=$2 want=$3 path=${4:-} err lines
  err=$(cat "$errf")
  lines=$(grep -c '' "$errf")
  if [ "$rc" -eq 124 ]; then echo "no answer within ${LIMIT}s (hang; killed)"; return; fi
  if [ "$rc" -gt 128 ]; then echo "crashed: exit $rc (signal $((rc - 128))); stderr: $(shown "$errf")"; return; fi
  if [ "$rc" -ne 1 ]; then echo "exit $rc, expected 1 (refused); stderr: $(shown "$errf")"; return; fi
  local why=""
  [[ "$err" == *"$want"* ]] || why="stderr lacks '$want'"
  if [ -z "$path" ]; then :
  elif [[ "$err" != *"$path"* ]]; then why="${why:+$why; }stderr does not name the file"
  elif [[ "$err" != *"$path:"[0-9]* ]]; then why="${why:+$why; }stderr names the file but no line (FILE:LINE:)"
  fi
  [ "$lines" -eq 1 ] || why="${why:+$why; }stderr has $lines lines, expected one"
  [ -n "$why" ] && echo "$why; stderr: $(shown "$errf")"
}

# peak FILE: the peak RSS in KiB that `time -f %M -o FILE` wrote (its last line).
peak() { tail -n 1 "$1" 2>/dev/null | tr -dc '0-9'; }

rss_check() {  # rss_check NAME TIMEFILE
  local kib; kib=$(peak "$2")
  # AddressSanitizer's shadow memory and quarantine inflate RSS: the cap is measured on the
  # normal build only.
  if [ -n "${KINFLOW_SANITIZED:-}" ]; then echo "ok   $1 (not measured under the sanitizers)"; return; fi
  if [ -z "$kib" ]; then echo "FAIL $1	no peak RSS measured"
  elif [ "$kib" -le $((CAP_KIB + MARGIN_KIB)) ]; then echo "ok   $1 ($((kib / 1024)) MiB)"
  else echo "FAIL $1	peak RSS $((kib / 1024)) MiB, over the cap ($((CAP_KIB / 1024)) MiB) + margin ($((MARGIN_KIB / 1024)) MiB)"; fi
}

# run_case N FILE: both placements of one snippet. Prints "ok NAME" or "FAIL NAME<TAB>WHY"
# lines (the parent turns them into t_ok / t_fail, in corpus order).
run_case() {
  local n=$1 file=$2 name want want_top want_guard dir rc why
  name=$(basename "$file" .lua)
  if [ ! -f "$file" ]; then echo "FAIL $name	no such case: $file"; return; fi
  want=$(header "$file" expect)
  if [ -z "$want" ]; then echo "FAIL $name	first line is not '-- expect: TEXT'"; return; fi
  want_top=$(header "$file" expect-top); want_top=${want_top:-$want}
  want_guard=$(header "$file" expect-guard); want_guard=${want_guard:-$want}
  dir="$T_DIR/c$n"   # numbered, so that no expected text can match the path itself
  mkdir -p "$dir"
  local measure=()
  [ -n "$TIME_BIN" ] && [[ "$name" == mem_* ]] && measure=("$TIME_BIN" -f %M -o "$dir/top.rss")

  # (a) at the top of a workflow file
  local top="$dir/top.lua"
  { cat "$file"; echo; printf '%s\n' "$WF_TOP"; } > "$top"
  KINFLOW_DB="$dir/none.db" timeout "$LIMIT" "${measure[@]}" "$K" check "$top" > "$dir/top.out" 2> "$dir/top.err"
  rc=$?
  why=$(judge "$rc" "$dir/top.err" "$want_top" "$top")
  if [ -z "$why" ]; then echo "ok   $name top"; else echo "FAIL $name top	$why"; fi
  [ ${#measure[@]} -gt 0 ] && rss_check "$name top: peak RSS" "$dir/top.rss"

  # (b) as the body of a guard
  local guard="$dir/guard.lua"
  export KINFLOW_DB="$dir/guard.db"
  { printf '%s\n' 'return workflow { name = "sandbox_guard", roles = { "a" }, initial = "open",' \
      '  states = { { "open" }, { "closed", final = true } },' \
      '  transitions = { { "go", from = "open", to = "closed", by = { "a" },' \
      '    when = { function(case)'
    cat "$file"
    printf '\n%s\n' '; return true end } } } }'; } > "$guard"
  if ! timeout "$LIMIT" "$K" deploy "$guard" > "$dir/setup.out" 2>&1 ||
     ! timeout "$LIMIT" "$K" case new sandbox_guard >> "$dir/setup.out" 2>&1; then
    echo "FAIL $name guard	setup (deploy, case new) failed: $(shown "$dir/setup.out")"
    return
  fi
  "$K" case show 1 --json > "$dir/before.json" 2>&1
  measure=()
  [ -n "$TIME_BIN" ] && [[ "$name" == mem_* ]] && measure=("$TIME_BIN" -f %M -o "$dir/guard.rss")
  timeout "$LIMIT" "${measure[@]}" "$K" case fire 1 go --as a > "$dir/guard.out" 2> "$dir/guard.err"
  rc=$?
  why=$(judge "$rc" "$dir/guard.err" "$want_guard")
  "$K" case show 1 --json > "$dir/after.json" 2>&1
  if ! grep -m1 '"state":' "$dir/after.json" | grep -q '"open"'; then
    why="${why:+$why; }the case left its initial state: $(grep -m1 '"state":' "$dir/after.json")"
  elif ! cmp -s "$dir/before.json" "$dir/after.json"; then
    why="${why:+$why; }the case changed: $(diff "$dir/before.json" "$dir/after.json" | grep '^[<>]' | tr '\n' ' ' | head -c 300)"
  fi
  if [ -z "$why" ]; then echo "ok   $name guard"; else echo "FAIL $name guard	$why"; fi
  [ ${#measure[@]} -gt 0 ] && rss_check "$name guard: peak RSS" "$dir/guard.rss"
}

# ---- the corpus, JOBS cases at a time
if [ $# -gt 0 ]; then
  cases=()
  for c in "$@"; do c=$(basename "$c" .lua); cases+=("$HERE/cases/$c.lua"); done
else
  cases=("$HERE"/cases/*.lua)
  [ ${#cases[@]} -ge 30 ] || t_fail "corpus size" "only ${#cases[@]} cases in $HERE/cases"
fi
n=0
for f in "${cases[@]}"; do
  n=$((n + 1))
  run_case "$n" "$f" > "$T_DIR/result.$n" 2>&1 &
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
done
wait
for i in $(seq 1 "$n"); do
  while IFS= read -r line; do
    case "$line" in
      "ok   "*) t_ok "${line#ok   }" ;;
      "FAIL "*) rest=${line#FAIL }; t_fail "${rest%%	*}" "${rest#*	}" ;;
      *) t_fail "case $i" "unexpected output: $line" ;;
    esac
  done < "$T_DIR/result.$i"
done
[ -z "$TIME_BIN" ] && t_ok "peak RSS of memory bombs: skipped ($TIME_BIN -f %M is not available)"

# ---- poisoning: each file has its own environment over read-only libraries, so what one
# file does to its globals (or tries to do to the libraries) is invisible to the next file
# checked by the same process.
P="$HERE/poison"
for poisoner in "$P"/poison_*.lua; do
  pname=$(basename "$poisoner" .lua)
  run timeout "$LIMIT" "$K" check "$poisoner" "$P/victim.lua"
  if [ "$RC" -ne 0 ]; then t_fail "$pname then victim in one check" "exit $RC: $(echo "$ERR" | tr '\n' '|')"
  elif [[ "$OUT" != *"victim.lua: ok"* ]]; then t_fail "$pname then victim in one check" "victim not ok: $OUT"
  elif [[ "$ERR" != *"victim's print works"* ]]; then t_fail "$pname then victim in one check" "the victim's print did not reach stderr: $ERR"
  else t_ok "$pname then victim in one check"; fi
done

# ---- guards read the case; they do not write it (neither `case moves` nor a firing may
# store what a guard put into case.data).
export KINFLOW_DB="$T_DIR/guard_write.db"
GW="$T_DIR/guard_write.lua"
cat > "$GW" <<'EOF'
return workflow { name = "guard_write", roles = { "a" }, initial = "open",
  states = { { "open" }, { "closed", final = true } },
  transitions = { { "go", from = "open", to = "closed", by = { "a" },
    when = { function(case) case.data.written_by_guard = true; return true end } } } }
EOF
if "$K" deploy "$GW" >/dev/null 2>&1 && "$K" case new guard_write >/dev/null 2>&1; then
  "$K" case moves 1 --as a >/dev/null 2>&1
  run "$K" case show 1 --json
  if [[ "$OUT" == *written_by_guard* ]]; then t_fail "guard write: case moves" "case moves stored data a guard wrote"
  else t_ok "guard write: case moves"; fi
  run timeout "$LIMIT" "$K" case fire 1 go --as a
  run "$K" case show 1 --json
  if [[ "$OUT" == *written_by_guard* ]]; then
    t_fail "guard write: case fire" "a guard's write to case.data was stored when the transition fired (the guard ran: case.data.written_by_guard = true; return true)"
  else t_ok "guard write: case fire"; fi
else
  t_fail "guard write" "setup (deploy, case new) failed"
fi

t_done
