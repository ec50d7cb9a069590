#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS]: runs each libFuzzer harness (build/fuzz/NAME, from
# tests/fuzz/NAME.c; `make fuzz` builds them) for SECONDS (default FUZZ_SECONDS, else 60) on
# its seed corpus tests/fuzz/corpus/NAME/ and dictionary tests/fuzz/NAME.dict, under ASan +
# UBSan with leak checks. New inputs go to build/fuzz/corpus/NAME/ (the seeds stay as they
# are); a crash, leak or timeout writes the input to tests/fuzz/crashes/NAME-... and prints
# the top of the report. Ends with the usual "N passed, N failed" line.
# Reproduce a crash: build/fuzz/NAME tests/fuzz/crashes/NAME-crash-...
set -u
cd "$(dirname "$0")/../.."
S=${1:-${FUZZ_SECONDS:-60}}
pass=0; fail=0
mkdir -p tests/fuzz/crashes
for src in tests/fuzz/*.c; do
  name=$(basename "$src" .c)
  bin=build/fuzz/$name
  if [ ! -x "$bin" ]; then echo "FAIL $name: $bin is not built (make fuzz)"; fail=$((fail + 1)); continue; fi
  work=build/fuzz/corpus/$name
  log=build/fuzz/$name.log
  mkdir -p "$work" "tests/fuzz/corpus/$name"
  dict=(); [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  # the checker's seeds include the programme library itself, read where it stands
  seeds=("tests/fuzz/corpus/$name")
  [ "$name" = check ] && seeds+=(workflows plugins/forms-core/forms plugins/rules-core/rules tests/faults)
  # -close_fd_mask=3: what the fuzzed code prints (Lua's print goes to stderr) is dropped;
  # libFuzzer's and the sanitizers' reports still come through. -detect_leaks=0: no leak check
  # after each input (the engine keeps its database and Lua state from input to input, so
  # every input looks like a leak; libFuzzer gives up on them after a thousand slow checks);
  # LeakSanitizer still checks the whole process at exit and fails the run on any leak.
  ASAN_OPTIONS=detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$S" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 -detect_leaks=0 \
      -print_final_stats=1 -artifact_prefix="tests/fuzz/crashes/$name-" "${dict[@]}" \
      "$work" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    echo "ok   fuzz $name: ${runs:-?} inputs in ${S}s, $(ls "$work" | wc -l) in its corpus"
    pass=$((pass + 1))
  else
    echo "FAIL fuzz $name: exit $rc after ${runs:-?} inputs (whole report: $log)"
    grep -m1 -E 'ERROR: |runtime error|WARNING: ' "$log" | sed 's/^/    /'
    grep -m8 -E '^ +#[0-9]+ ' "$log" | sed 's/^/    /'
    grep -E 'Test unit written to|artifact' "$log" | sed 's/^/    /'
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
