#!/usr/bin/env bash
# A scenario whose code crashes, in a suite of three: the output names the
# scenario, the seed and a rerun line, and that line crashes the same way.
# Under ASan, a heap overflow is reported the same way after ASan's report.
# Built with g++ 12, the report adds a note on g++ 12's coroutine bugs;
# with any other compiler it does not.
# usage: crash_test.sh PROGRAM [COMPILER_ID COMPILER_VERSION]
set -uo pipefail
program=$1
compiler=${2:-}
compiler_version=${3:-}
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

crash_of crash/before crash/segfault crash/then_passes
case "$report" in
  *"in a run of crash/segfault, seed "*", strategy pos, cancellation: --cancel none") ;;
  *) fail "unexpected report: $report" ;;
esac
seed=$(sed -n 's/.*, seed \([0-9]*\),.*/\1/p' <<<"$report")
case "$rerun" in
  "$program run crash/segfault --strategy pos --seed $seed --cancel none --trace") ;;
  *) fail "unexpected rerun line: $rerun" ;;
esac
grep -q "crash/before" "$dir/out" || fail "the scenario before the crash was not run"
grep -q '^  --isolate runs each scenario in a child process' "$dir/err" || fail "no word of --isolate"
if [ "$compiler" = GNU ] && [ "${compiler_version%%.*}" -lt 13 ]; then
  grep -q '^  note: built with g++ 12, which miscompiles' "$dir/err" || fail "no note on g++ 12"
elif [ -n "$compiler" ]; then
  grep -q '^  note: built with g++ 12' "$dir/err" && fail "a note on g++ 12 under $compiler $compiler_version"
fi

# The rerun line makes the same run: the same crash at the same seed.
first=$report
read -r -a args <<<"$rerun"
"$program" "${args[@]:1}" >"$dir/out" 2>"$dir/err"
[ $? -ne 0 ] || fail "the rerun line did not crash"
again=$(grep '^corosim: .* in a run of ' "$dir/err" | head -n 1)
[ "$again" = "$first" ] || fail "the rerun crashed differently: '$again' (first: '$first')"

# crash_repro_of FOLDER [FLAGS...]: runs crash/segfault with --out FOLDER,
# expecting the run in flight as a repro (its decisions up to the crash) that
# replays to the same crash; sets repro.
crash_repro_of() {
  "$program" run crash/segfault --seeds 20 --quiet --out "$@" >"$dir/out" 2>"$dir/err"
  repro=$(sed -n 's/^  repro: \([^ ]*\) .*/\1/p' "$dir/err" | head -n 1)
  [ -f "$repro" ] || fail "run ${*:2}: no repro of the run in flight"
  grep -Eq '^failure: crash: (fatal signal SIGSEGV|a sanitizer report)' "$repro" || fail "the repro does not record the crash"
  cp "$dir/err" "$dir/run_err"
  "$program" replay "$repro" >"$dir/out" 2>"$dir/err"
  local code=$?
  # Killed by SIGSEGV (139), or under ASan its SEGV report; never a usage error.
  [ "$code" -eq 139 ] || grep -q 'SEGV' "$dir/err" || fail "replaying the crash repro of ${*:2}: exit $code, not the crash"
}
crash_repro_of "$dir/repros"
grep -q '^decisions: .*r2/4' "$repro" || fail "the repro lacks the draw that crashed"
# A time bound other than the default day shapes the run: the crash's repro
# and rerun line keep it.
crash_repro_of "$dir/timed" --time-max-s 7200
grep -q '^time-max-ns: 7200000000000$' "$repro" || fail "the crash repro does not keep --time-max-s"
grep -q '^  rerun: .* --time-max-s 7200 ' "$dir/run_err" || fail "the crash's rerun line does not keep --time-max-s"

if "$program" list | grep -q '^crash/heap_overflow '; then
  crash_of crash/heap_overflow
  grep -q 'heap-buffer-overflow' "$dir/err" || fail "no ASan report"
  case "$report" in
    "corosim: a sanitizer report in a run of crash/heap_overflow, seed 0, "*) ;;
    *) fail "unexpected report after ASan's: $report" ;;
  esac
fi
# --isolate: the crash is one failure of three; the scenarios after it still
# run, the summary counts it, and its rerun line crashes the same way.
isolated_of() {
  "$program" run crash/before "$1" crash/then_passes --seeds 20 --quiet --isolate --json "$dir/isolated.json" \
    "${@:2}" >"$dir/out" 2>"$dir/err"
  code=$?
  [ "$code" -eq 1 ] || fail "--isolate $1: exit $code, expected 1 (an expectation not met)"
  grep -q "^  ok    crash/then_passes " "$dir/out" || fail "--isolate $1: crash/then_passes did not run"
  grep -q '^  --isolate runs' "$dir/err" && fail "--isolate $1: an isolated crash suggests --isolate"
  grep -q "^  FAIL  $1 .* crash in run [0-9]*: " "$dir/out" || fail "--isolate $1: no crash verdict"
  grep -q "3 scenario(s): 2 met their expectation, 1 did not" "$dir/out" \
    || fail "--isolate $1: the summary does not count the crash"
  grep -q '"checker": "crash"' "$dir/isolated.json" || fail "--isolate $1: no crash in --json"
  grep -q '"not_met": 1' "$dir/isolated.json" || fail "--isolate $1: --json does not count the crash"
  rerun=$(sed -n 's/^        rerun: //p' "$dir/out" | head -n 1)
  [ -n "$rerun" ] || fail "--isolate $1: no rerun line"
}
isolated_of crash/segfault --out "$dir/isolated-repros"
grep -q "^        repro: $dir/isolated-repros/crash_segfault-crash-seed" "$dir/out" || fail "--isolate: no repro of the crash"
seed=$(sed -n 's/^        seed \([0-9]*\);.*/\1/p' "$dir/out")
[ "$seed" = "$(sed -n 's/.*, seed \([0-9]*\),.*/\1/p' <<<"$first")" ] || fail "--isolate names seed '$seed', not the crash's"
read -r -a args <<<"$rerun"
"$program" "${args[@]:1}" >"$dir/out" 2>"$dir/err"
[ $? -ne 0 ] || fail "the --isolate rerun line did not crash"
[ "$(grep '^corosim: .* in a run of ' "$dir/err" | head -n 1)" = "$first" ] || fail "the --isolate rerun crashed differently"
if "$program" list | grep -q '^crash/heap_overflow '; then
  isolated_of crash/heap_overflow
  grep -q "crash in run 1: a sanitizer report" "$dir/out" || fail "--isolate: the ASan death is not named"
fi
echo "crash_test: ok"
