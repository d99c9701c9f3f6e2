#!/bin/bash -eu
# tests/fuzz/check_test.sh FUZZ_DIR: fuzz/check.sh and fuzz/measure.sh on
# stand-in fuzzers and a stand-in CLI. Guards their comparison of a crash with
# the expectation: a fuzzer that finds a failure of another checker than its
# scenario expects must fail the check and not count as found in the
# measurement, and one that finds the expected checker must pass and count.
check_sh=$1/check.sh
measure_sh=$1/measure.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/out"

# A fuzzer that "crashes" at once, as libFuzzer does: an artifact, exit 1.
for target in demo_right_fuzzer demo_wrong_fuzzer; do
  cat > "$work/out/$target" <<'FUZZER'
#!/bin/bash
for arg in "$@"; do case "$arg" in -artifact_prefix=*) prefix=${arg#-artifact_prefix=} ;; esac; done
echo "stat::number_of_executed_units: 7"
printf 'x' > "${prefix}crash-0"
exit 1
FUZZER
  chmod +x "$work/out/$target"
done
# demo/deep's bug takes 50 executions: fewer find nothing (exit 0).
cat > "$work/out/demo_deep_fuzzer" <<'FUZZER'
#!/bin/bash
runs=200000
for arg in "$@"; do
  case "$arg" in -artifact_prefix=*) prefix=${arg#-artifact_prefix=} ;; -runs=*) runs=${arg#-runs=} ;; esac
done
if [ "$runs" -lt 50 ]; then echo "stat::number_of_executed_units: $runs"; exit 0; fi
echo "stat::number_of_executed_units: 50"
printf 'x' > "${prefix}crash-0"
exit 1
FUZZER
chmod +x "$work/out/demo_deep_fuzzer"

# The CLI: every scenario expects a deadlock; the inputs fail with a deadlock
# (demo/right, demo/deep) or a check (demo/wrong), and every repro replays.
cat > "$work/cli" <<'CLI'
#!/bin/bash
case "$1" in
  list) printf 'demo/right fails:deadlock demo.cpp:1\ndemo/wrong fails:deadlock|futurelock demo.cpp:2\ndemo/deep fails:deadlock demo.cpp:3\n' ;;
  import-fuzz)
    out=$5
    touch "$out"
    if [ "$2" != demo/wrong ]; then echo "  failed: deadlock at demo.cpp:10"; else echo "  failed: check at demo.cpp:20"; fi
    exit 0 ;;
  replay) echo "the run matches the recording"; exit 1 ;;
esac
CLI
chmod +x "$work/cli"

# run_check SCENARIO...: fuzz/check.sh on them, with $work/budgets (default: none).
run_check() {
  printf '%s\n' "$@" > "$work/scenarios.txt"
  touch "$work/budgets"
  set +e
  FUZZ_CHECK_SCENARIOS="$work/scenarios.txt" FUZZ_CHECK_BUDGETS="$work/budgets" FUZZ_CHECK_PARSERS="" FUZZ_CHECK_RUNS=10 \
    "$check_sh" "$work/out" "$work/cli" > "$work/log" 2>&1
  status=$?
  set -e
  cat "$work/log"
}

run_check demo/right
[ "$status" -eq 0 ] || { echo "FAIL: the expected checker was refused"; exit 1; }
grep -q "failed with deadlock at demo.cpp:10" "$work/log" || { echo "FAIL: no report of the failure"; exit 1; }

run_check demo/wrong
[ "$status" -ne 0 ] || { echo "FAIL: a crash with the wrong checker passed fuzz/check.sh"; exit 1; }
grep -q "failed with check at demo.cpp:20, but demo/wrong fails:deadlock|futurelock" "$work/log" ||
  { echo "FAIL: the refusal does not name both"; exit 1; }

# A budget raises the bound for a scenario whose bug takes more executions.
run_check demo/deep
[ "$status" -ne 0 ] || { echo "FAIL: demo/deep found within 10 executions?"; exit 1; }
grep -q "no failure in 10 executions, but demo/deep fails:deadlock" "$work/log" || { echo "FAIL: no report of the miss"; exit 1; }
echo "demo/deep 50" > "$work/budgets"
run_check demo/deep
[ "$status" -eq 0 ] || { echo "FAIL: the budget in FUZZ_CHECK_BUDGETS was not applied"; exit 1; }
grep -q "failed with deadlock at demo.cpp:10 after 50 executions" "$work/log" || { echo "FAIL: no report of the find"; exit 1; }
# A malformed budget, or one for a scenario the CLI does not list, stops the check (exit 2).
for budget in "demo/deep many" "demo/gone 50"; do
  echo "$budget" > "$work/budgets"
  run_check demo/deep
  [ "$status" -eq 2 ] || { echo "FAIL: budget '$budget' was accepted (exit $status)"; exit 1; }
  grep -q "^fuzz/check.sh: $work/budgets: '${budget%% *}'" "$work/log" || { echo "FAIL: no message for '$budget'"; exit 1; }
done
rm "$work/budgets"

# Two at a time: the first, slowest, still prints first, and each failure counts.
cat > "$work/out/demo_slow_fuzzer" <<'FUZZER'
#!/bin/bash
sleep 1
echo "stat::number_of_executed_units: 3000"
exit 0
FUZZER
chmod +x "$work/out/demo_slow_fuzzer"
cp "$work/cli" "$work/cli.one"
sed -i 's|^  list) printf .|&demo/slow passes demo.cpp:4\\n|' "$work/cli"
FUZZ_CHECK_JOBS=2 run_check demo/slow demo/wrong demo/right demo/deep
[ "$status" -eq 1 ] || { echo "FAIL: two failures among four passed (exit $status)"; exit 1; }
order=$(sed -n 's/^  \(demo_[a-z]*_fuzzer\) .*/\1/p' "$work/log" | tr '\n' ' ')
[ "$order" = "demo_slow_fuzzer demo_wrong_fuzzer demo_right_fuzzer demo_deep_fuzzer " ] ||
  { echo "FAIL: results out of list order: $order"; exit 1; }
grep -q "^fuzz/check.sh: 2 fuzzer(s) did not meet their expectation" "$work/log" ||
  { echo "FAIL: the failures were not all counted"; exit 1; }
mv "$work/cli.one" "$work/cli"
rm -f "$work/out/demo_slow_fuzzer" "$work/budgets"

# The measurement: what fired is recorded, and only the expected checker is found.
"$measure_sh" "$work/out" "$work/cli" 1 > "$work/table" 2>&1 || { cat "$work/table"; echo "FAIL: measure.sh failed"; exit 1; }
cat "$work/table"
grep -q '^| `demo/right` | deadlock | deadlock | 7 | .* | 1/1 |' "$work/table" ||
  { echo "FAIL: the expected crash is not counted"; exit 1; }
grep -qF '| `demo/wrong` | deadlock\|futurelock | check | - | - | 0/1 |' "$work/table" ||
  { echo "FAIL: a crash with the wrong checker counted as found, or its checker is not shown"; exit 1; }
echo "fuzz/check.sh (its budgets too) and fuzz/measure.sh compare crashes with expectations: ok"
