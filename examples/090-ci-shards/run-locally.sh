#!/usr/bin/env bash
# Runs the jobs of a GitHub Actions workflow (default: corosim.yml beside this
# script) on this machine, with the same commands and no network: each job
# (each matrix value) in a fresh copy of the repository, `run:` steps as
# written, and the few actions the recipe uses done locally —
#   actions/checkout           the repository's files (tracked and untracked, not ignored)
#   actions/upload-artifact    a copy into the run's artifacts folder
#   actions/download-artifact  those copies back (merge-multiple)
# Jobs run in file order (which is the order their `needs:` give). A variable
# already set in the environment wins over the workflow's `env:` (a shorter
# local run: SEEDS=400 FUZZ_SECONDS=5). A failing step fails its job; later
# steps then run only under `if: always()` or `if: failure()`. Exit 0 when
# every job passed.
#
#   run-locally.sh [WORKFLOW] [WORK_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
workflow=${1:-$here/corosim.yml}
work=${2:-$(mktemp -d)}
root=$(git -C "$here" rev-parse --show-toplevel)

# The workflow as lines "KIND<TAB>VALUE": env NAME=VALUE, job NAME, matrix
# NAME=V1 V2 ..., uses ACTION, run COMMAND, if CONDITION, with KEY=VALUE. Only
# the YAML this recipe is written in: block mappings, one-line `run:` steps.
plan() {
  awk '
    function value(line) { sub(/^[^:]*:[ ]*/, "", line); sub(/[ ]+#.*$/, "", line); return line }
    /^[ ]*(#|$)/ { next }
    /^env:/ { section = "env"; next }
    /^jobs:/ { section = "jobs"; next }
    /^[^ ]/ { section = ""; next }
    section == "env" && /^  [A-Za-z_]+:/ { name = $1; sub(/:$/, "", name); print "env\t" name "=" value($0); next }
    section != "jobs" { next }
    /^  [A-Za-z_-]+:[ ]*$/ { job = $1; sub(/:$/, "", job); print "job\t" job; next }
    /^        [A-Za-z_-]+: \[/ { m = value($0); gsub(/[][,]/, " ", m); gsub(/ +/, " ", m); sub(/^ /, "", m); sub(/ $/, "", m)
                                name = $1; sub(/:$/, "", name); print "matrix\t" name "=" m; next }
    /^      - uses:/ { print "uses\t" value($0); next }
    /^      - run:/ { print "run\t" value($0); next }
    /^        if:/ { print "if\t" value($0); next }
    /^          [A-Za-z_-]+:/ { key = $1; sub(/:$/, "", key); print "with\t" key "=" value($0); next }
  ' "$workflow"
}

checkout() {  # DEST: the repository's files, as a fresh clone of this working tree
  mkdir -p "$1"
  git -C "$root" ls-files -z --cached --others --exclude-standard |
    (cd "$root" && xargs -0 tar -cf - --no-recursion 2>/dev/null) | tar -xf - -C "$1"
}

failed_jobs=()
declare -A with=()
# run_step KIND VALUE CONDITION WORKSPACE MATRIX_NAME MATRIX_VALUE: one step,
# unless an earlier one failed and CONDITION does not run it anyway.
run_step() {
  local kind=$1 value=$2 condition=$3 workspace=$4
  value=${value//"\${{ matrix.$5 }}"/$6}
  if [ "$job_failed" = 1 ] && [ "$condition" != "always()" ] && [ "$condition" != "failure()" ]; then
    echo "    skipped: $kind $value"
    return 0
  fi
  if [ "$job_failed" = 0 ] && [ "$condition" = "failure()" ]; then return 0; fi
  echo "    $kind: $value"
  case "$kind:$value" in
    run:*) (cd "$workspace" && bash -eo pipefail -c "$value") || job_failed=1 ;;
    uses:actions/checkout@*) checkout "$workspace" ;;
    uses:actions/upload-artifact@*)
      local name=${with[name]//"\${{ matrix.$5 }}"/$6}
      mkdir -p "$work/artifacts/$name"
      cp -a "$workspace/${with[path]}/." "$work/artifacts/$name/" 2>/dev/null || true ;;
    uses:actions/download-artifact@*)
      mkdir -p "$workspace/${with[path]}"
      for artifact in "$work/artifacts"/*/; do cp -a "$artifact." "$workspace/${with[path]}/"; done ;;
    *) echo "run-locally.sh: does not know how to run '$kind: $value'" >&2; exit 2 ;;
  esac
}

# run_job NAME MATRIX_NAME MATRIX_VALUE: the job's steps in a fresh workspace.
run_job() {
  local name=$1 workspace="$work/$1${3:+-$3}"
  echo "==> job $name${3:+ ($2=$3)} in $workspace"
  job_failed=0
  local kind value pending_kind="" pending_value="" condition=""
  while IFS=$'\t' read -r kind value; do
    case "$kind" in
      if) condition=$value ;;
      with) with[${value%%=*}]=${value#*=} ;;
      uses|run)
        [ -n "$pending_kind" ] && run_step "$pending_kind" "$pending_value" "$condition" "$workspace" "$2" "$3"
        pending_kind=$kind pending_value=$value condition="" with=() ;;
    esac
  done < <(steps_of "$name")
  [ -n "$pending_kind" ] && run_step "$pending_kind" "$pending_value" "$condition" "$workspace" "$2" "$3"
  if [ "$job_failed" = 1 ]; then failed_jobs+=("$name${3:+ ($2=$3)}"); fi
  return 0
}

steps_of() {  # NAME: the plan lines of that job's steps
  plan | awk -F'\t' -v job="$1" '$1 == "job" { inside = ($2 == job); next } inside && $1 != "matrix"'
}

while IFS=$'\t' read -r kind value; do
  [ "$kind" = env ] || continue
  name=${value%%=*}
  [ -n "${!name:-}" ] || export "$name=${value#*=}"
done < <(plan)

mkdir -p "$work"
while IFS=$'\t' read -r kind value; do
  [ "$kind" = job ] || continue
  matrix=$(plan | awk -F'\t' -v job="$value" '$1 == "job" { inside = ($2 == job); next } inside && $1 == "matrix" { print $2 }')
  if [ -n "$matrix" ]; then
    for v in ${matrix#*=}; do run_job "$value" "${matrix%%=*}" "$v"; done
  else
    run_job "$value" "" ""
  fi
done < <(plan)

if [ ${#failed_jobs[@]} -gt 0 ]; then
  echo "run-locally.sh: failed: ${failed_jobs[*]}" >&2
  exit 1
fi
echo "run-locally.sh: every job of $(basename "$workflow") passed"
