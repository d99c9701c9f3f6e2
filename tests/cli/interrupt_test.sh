#!/usr/bin/env bash
# run --json under SIGINT, SIGTERM and SIGKILL: the summary file is always the
# previous one or a complete new one (marked interrupted), never empty or cut
# short; SIGINT and SIGTERM exit 130 and 143 after writing it.
# usage: interrupt_test.sh CLI
set -uo pipefail
cli=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
json="$dir/summary.json"
fail() { echo "interrupt_test: $*" >&2; exit 1; }

"$cli" run race/lost_update_fixed --seeds 2 --json "$json" --quiet >/dev/null || fail "the first summary"
cp "$json" "$dir/previous.json"

# A run long enough to be interrupted in the middle of a scenario.
long_run() { "$cli" run 'race/*' 'deadlock/*' --seeds 100000000 --json "$json" --quiet >"$dir/out" 2>&1 & pid=$!; }

for signal in INT TERM; do
  long_run
  sleep 1
  kill -s "$signal" "$pid"
  wait "$pid"
  code=$?
  expected=$([ "$signal" = INT ] && echo 130 || echo 143)
  [ "$code" -eq "$expected" ] || { cat "$dir/out" >&2; fail "SIG$signal: exit $code, expected $expected"; }
  grep -q '"interrupted": true' "$json" || fail "SIG$signal: the summary is not marked interrupted"
  # merge reads it as a summary: whole, valid JSON (exit 2 would be malformed).
  "$cli" merge "$json" >/dev/null 2>"$dir/merge.err"
  [ $? -ne 2 ] || { cat "$dir/merge.err" >&2; fail "SIG$signal: the summary does not parse"; }
  grep -q "^interrupted: " "$dir/out" || fail "SIG$signal: the terminal summary does not say it was interrupted"
  cp "$dir/previous.json" "$json"
done

# SIGKILL cannot be handled: the previous summary must survive untouched.
long_run
sleep 1
kill -s KILL "$pid"
wait "$pid" 2>/dev/null
cmp -s "$json" "$dir/previous.json" || fail "SIGKILL: the previous summary was changed"
ls "$dir" | grep -q '\.tmp\.' && fail "SIGKILL: a temporary file was left"
echo "interrupt_test: ok"
