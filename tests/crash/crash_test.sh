#!/usr/bin/env bash
# A scenario whose code crashes, in a suite of three: the output names the
# scenario, the seed and a rerun line, and that line crashes the same way.
# Under ASan, a heap overflow is reported the same way after ASan's report.
# usage: crash_test.sh PROGRAM
set -uo pipefail
program=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "crash_test: $*" >&2; sed 's/^/  | /' "$dir/err" >&2; exit 1; }

# crash_of SCENARIOS...: runs them, expecting a crash; sets report and rerun.
crash_of() {
  "$program" run "$@" --seeds 20 --quiet >"$dir/out" 2>"$dir/err"
  code=$?
  [ "$code" -ne 0 ] && [ "$code" -ne 2 ] || fail "run $*: exit $code, expected a crash"
  report=$(grep '^corosim: .* in a run of ' "$dir/err" | head -n 1)
  rerun=$(sed -n 's/^  rerun: //p' "$dir/err" | head -n 1)
  [ -n "$report" ] || fail "run $*: no report of the run in flight"
  [ -n "$rerun" ] || fail "run $*: no rerun line"
}

crash_of crash/before crash/segfault crash/after
case "$report" in
  *"in a run of crash/segfault, seed "*", strategy random, cancellation: --cancel none") ;;
  *) fail "unexpected report: $report" ;;
esac
seed=$(sed -n 's/.*, seed \([0-9]*\),.*/\1/p' <<<"$report")
case "$rerun" in
  "$program run crash/segfault --strategy random --seed $seed --cancel none --trace") ;;
  *) fail "unexpected rerun line: $rerun" ;;
esac
grep -q "crash/before" "$dir/out" || fail "the scenario before the crash was not run"

# The rerun line makes the same run: the same crash at the same seed.
first=$report
read -r -a args <<<"$rerun"
"$program" "${args[@]:1}" >"$dir/out" 2>"$dir/err"
[ $? -ne 0 ] || fail "the rerun line did not crash"
again=$(grep '^corosim: .* in a run of ' "$dir/err" | head -n 1)
[ "$again" = "$first" ] || fail "the rerun crashed differently: '$again' (first: '$first')"

if "$program" list | grep -q '^crash/heap_overflow '; then
  crash_of crash/heap_overflow
  grep -q 'heap-buffer-overflow' "$dir/err" || fail "no ASan report"
  case "$report" in
    "corosim: a sanitizer report in a run of crash/heap_overflow, seed 0, "*) ;;
    *) fail "unexpected report after ASan's: $report" ;;
  esac
fi
echo "crash_test: ok"
