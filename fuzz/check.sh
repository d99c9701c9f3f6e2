#!/bin/bash -eu
# fuzz/check.sh OUT CLI: runs every fuzzer fuzz/build.sh put in OUT for a
# bounded number of executions (seed 1, so a run is the same every time), from
# its seed corpus, and checks each against its scenario's expectation (as
# `CLI list` prints it):
# - a scenario that must fail: its fuzzer must crash, the crash input,
#   imported with `CLI import-fuzz`, must replay as the same failure, and that
#   failure must be one the scenario expects (its checker, at a known
#   location);
# - a scenario that passes, and the parsers: no crash.
# FUZZ_CHECK_RUNS (default 3000) and FUZZ_CHECK_PARSER_RUNS (default 20000)
# bound the executions; FUZZ_CHECK_BUDGETS (default fuzz/check_runs.txt)
# raises the bound for scenarios whose bug takes more ("scenario runs" lines).
# FUZZ_CHECK_JOBS (default: the number of cores) fuzzers run at once; the
# results print in list order all the same.
# FUZZ_CHECK_SCENARIOS (default fuzz/scenarios.txt) and
# FUZZ_CHECK_PARSERS (default both parser fuzzers) choose what is checked
# (tests/fuzz/check_test.sh runs it on stand-ins).
out=$1
cli=$2
runs=${FUZZ_CHECK_RUNS:-3000}
parser_runs=${FUZZ_CHECK_PARSER_RUNS:-20000}
src=$(cd "$(dirname "$0")/.." && pwd)
scenarios=${FUZZ_CHECK_SCENARIOS:-$src/fuzz/scenarios.txt}
parsers=${FUZZ_CHECK_PARSERS-repro_parser_fuzzer flag_values_fuzzer}
budgets=${FUZZ_CHECK_BUDGETS:-$src/fuzz/check_runs.txt}
jobs=${FUZZ_CHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}
. "$src/fuzz/names.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A expect
while read -r name expectation _; do expect[$name]=$expectation; done < <("$cli" list)

# A budget only raises the default: FUZZ_CHECK_RUNS above it still applies.
declare -A runs_of
while read -r name n _; do
  case "$name" in ''|'#'*) continue ;; esac
  case "$n" in ''|*[!0-9]*) echo "fuzz/check.sh: $budgets: '$name' has no whole number of runs" >&2; exit 2 ;; esac
  if [ -z "${expect[$name]:-}" ]; then echo "fuzz/check.sh: $budgets: '$name' is not a scenario that '$cli list' names" >&2; exit 2; fi
  runs_of[$name]=$n
done < "$budgets"

report() { printf '  %-52s %s\n' "$1" "$2"; }
# fail TARGET WHY: reports it; the check of one item then returns 1.
fail() { report "$1" "FAILED: $2"; }

# run_fuzzer TARGET RUNS: runs it in $work/TARGET; its exit code is the result.
run_fuzzer() {
  local target=$1 n=$2 dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/seeds"
  if [ -f "$out/${target}_seed_corpus.zip" ]; then unzip -q -o "$out/${target}_seed_corpus.zip" -d "$dir/seeds"; fi
  local dict=()
  [ -f "$out/$target.dict" ] && dict=("-dict=$out/$target.dict")
  "$out/$target" -runs="$n" -seed=1 "${dict[@]}" -artifact_prefix="$dir/" -print_final_stats=1 \
    "$dir/corpus" "$dir/seeds" > "$dir/log" 2>&1
}

executions() { sed -n 's/^stat::number_of_executed_units: *//p' "$work/$1/log"; }

# check_parser TARGET: a parser's fuzzer must not crash.
check_parser() {
  local parser=$1
  if run_fuzzer "$parser" "$parser_runs"; then
    report "$parser" "$(executions "$parser") executions, no crash"
  else
    fail "$parser" "crashed:"; tail -n 30 "$work/$parser/log"; return 1
  fi
}

# check_scenario NAME: its fuzzer must fail as the scenario expects, with a
# repro that replays the failure, or not fail at all if the scenario passes.
check_scenario() {
  local name=$1 target expectation budget crash status checker location
  target=$(fuzz_target_of "$name")
  expectation=${expect[$name]:-}
  if [ -z "$expectation" ]; then fail "$target" "'$cli list' has no scenario $name"; return 1; fi
  budget=$runs
  if [ "${runs_of[$name]:-0}" -gt "$budget" ]; then budget=${runs_of[$name]}; fi
  if run_fuzzer "$target" "$budget"; then
    if [ "$expectation" = passes ]; then
      report "$target" "$(executions "$target") executions, no failure (expected)"
      return 0
    fi
    fail "$target" "no failure in $budget executions, but $name $expectation"; return 1
  fi
  crash=$(ls "$work/$target"/crash-* 2>/dev/null | head -n 1 || true)
  if [ "$expectation" = passes ] || [ -z "$crash" ]; then
    fail "$target" "crashed:"; tail -n 40 "$work/$target/log"; return 1
  fi
  # The crash input becomes a repro that replays the same failure.
  if ! "$cli" import-fuzz "$name" "$crash" --out "$crash.repro" > "$work/$target/import" 2>&1; then
    fail "$target" "import-fuzz did not reproduce a failure:"; cat "$work/$target/import"; return 1
  fi
  status=0
  "$cli" replay "$crash.repro" > "$work/$target/replay" 2>&1 || status=$?
  if [ "$status" -ne 1 ] || ! grep -q 'matches the recording' "$work/$target/replay"; then
    fail "$target" "the imported repro does not replay the failure (exit $status):"
    head -n 8 "$work/$target/replay"; return 1
  fi
  checker=$(sed -n 's/^  failed: \([^ ]*\) at .*/\1/p' "$work/$target/import")
  location=$(sed -n 's/^  failed: [^ ]* at \(.*\)$/\1/p' "$work/$target/import")
  # The crash must be the failure the scenario expects (fails:a|b), not any.
  case "|${expectation#fails:}|" in
    *"|$checker|"*) ;;
    *) fail "$target" "failed with ${checker:-?} at ${location:-?}, but $name $expectation"; return 1 ;;
  esac
  if [ -z "$location" ] || [ "$location" = "?" ]; then
    fail "$target" "failed with $checker at an unknown location"; return 1
  fi
  report "$target" "failed with $checker at $location after $(executions "$target") executions; repro replays it"
}

# Every item, $jobs at a time (each fuzzer is one process on one core); item
# i writes its lines to $work/item.i and its status to $work/status.i, and
# the lines print in list order as soon as those before them are in.
items=()
for parser in $parsers; do items+=("check_parser $parser"); done
while read -r name; do
  case "$name" in ''|'#'*) continue ;; esac
  items+=("check_scenario $name")
done < "$scenarios"

failed=0
printed=0
print_ready() {
  while [ "$printed" -lt "${#items[@]}" ] && [ -f "$work/status.$printed" ]; do
    cat "$work/item.$printed"
    [ "$(cat "$work/status.$printed")" = 0 ] || failed=$((failed + 1))
    printed=$((printed + 1))
  done
}
running=0
for i in "${!items[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
    print_ready
  fi
  (
    # Tested by ||: a failing check returns 1 rather than ending the job (-e).
    status=0
    ${items[$i]} > "$work/item.$i" 2>&1 || status=$?
    echo "$status" > "$work/status.$i.tmp"
    mv "$work/status.$i.tmp" "$work/status.$i"
  ) &
  running=$((running + 1))
done
wait
print_ready

if [ "$failed" -ne 0 ]; then
  echo "fuzz/check.sh: $failed fuzzer(s) did not meet their expectation" >&2
  exit 1
fi
echo "fuzz/check.sh: every fuzzer met its expectation"
