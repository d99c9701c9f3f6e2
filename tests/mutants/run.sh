#!/usr/bin/env bash
# The mutation check (./dev.sh mutants): applies each mutation listed in
# tests/mutants/*.mutant to a copy of the source tree, rebuilds the copy
# incrementally (g++, build-mutants/), runs every CTest test, and reports the
# mutation caught when every test the mutation names fails. The working tree
# is never touched, so an interrupted run leaves nothing behind.
#
# usage: tests/mutants/run.sh [--subset K] [NAME...]
#        tests/mutants/run.sh --check BUILD_DIR
#   NAME      run only these mutations (file names without .mutant)
#   --subset K  K mutations chosen from the commit hash (CI rotates through
#               the list this way)
#   --check BUILD_DIR  build and mutate nothing: every mutation parses, its
#               text occurs once in its file, and the tests it names exist in
#               BUILD_DIR's CTest list (a CTest test of its own runs this)
# Exit 0 when every mutation run was caught; 1 when one was missed, or its
# text is not in its file, or it does not build; 2 on a usage error.
#
# A .mutant file: header lines, then the exact text to find (once) in the file
# and what replaces it:
#   what: minimize keeps a smaller run that fails with any checker
#   file: replay/minimize.cpp
#   test: <a CTest test name that must fail>      (one line per test, at least one)
#   --- find
#   <lines>
#   --- replace
#   <lines>
#   --- end
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true

root=$(cd "$(dirname "$0")/../.." && pwd)
list="$root/tests/mutants"
work=${COROSIM_MUTANTS_WORK:-$root/build-mutants}
src="$work/src"
bld="$work/build"
jobs=$(nproc 2>/dev/null || echo 2)

usage() {
  echo "usage: tests/mutants/run.sh [--subset K] [NAME...] | --check BUILD_DIR" >&2
  exit 2
}

subset=0
check_build=""
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --subset)
      [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "mutants: --subset takes a count of 1 or more" >&2; usage; }
      subset=$2; shift 2 ;;
    --check)
      [ $# -ge 2 ] || { echo "mutants: --check takes a build folder" >&2; usage; }
      check_build=$2; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "mutants: unknown flag '$1'" >&2; usage ;;
    *) names+=("$1"); shift ;;
  esac
done

all=()
for file in "$list"/*.mutant; do all+=("$(basename "$file" .mutant)"); done
[ ${#all[@]} -gt 0 ] || { echo "mutants: no .mutant files in $list" >&2; exit 2; }
if [ ${#names[@]} -gt 0 ]; then
  for name in "${names[@]}"; do
    [ -f "$list/$name.mutant" ] || { echo "mutants: no mutation '$name' in $list" >&2; exit 2; }
  done
  chosen=("${names[@]}")
elif [ "$subset" -gt 0 ] && [ "$subset" -lt ${#all[@]} ]; then
  # Spread over the list from a start the commit picks: consecutive commits
  # check different mutations, and every one comes round.
  hash=$(git -C "$root" rev-parse --short=8 HEAD 2>/dev/null || echo 0)
  start=$(( 16#$hash % ${#all[@]} ))
  chosen=()
  for ((i = 0; i < subset; i++)); do
    chosen+=("${all[$(( (start + i * ${#all[@]} / subset) % ${#all[@]} ))]}")
  done
  echo "mutants: $subset of ${#all[@]} mutations, chosen by commit $hash"
else
  chosen=("${all[@]}")
fi

# parse_mutant FILE: sets what, target, tests[], find, replace.
parse_mutant() {
  local file=$1 section=header line
  what="" target="" find="" replace="" tests=()
  local find_lines=() replace_lines=()
  while IFS= read -r line || [ -n "$line" ]; do
    case "$section:$line" in
      *:"--- find") section=find; continue ;;
      *:"--- replace") section=replace; continue ;;
      *:"--- end") section=end; continue ;;
    esac
    case "$section" in
      header)
        case "$line" in
          what:*) what=${line#what: } ;;
          file:*) target=${line#file: } ;;
          test:*) tests+=("${line#test: }") ;;
          '#'*|'') ;;
          *) echo "mutants: $file: unexpected header line '$line'" >&2; return 1 ;;
        esac ;;
      find) find_lines+=("$line") ;;
      replace) replace_lines+=("$line") ;;
    esac
  done < "$file"
  [ "$section" = end ] || { echo "mutants: $file: no '--- end' line" >&2; return 1; }
  [ -n "$what" ] && [ -n "$target" ] && [ ${#tests[@]} -gt 0 ] && [ ${#find_lines[@]} -gt 0 ] \
    || { echo "mutants: $file: needs what:, file:, test: and a --- find section" >&2; return 1; }
  find=$(printf '%s\n' "${find_lines[@]}")
  replace=""
  [ ${#replace_lines[@]} -gt 0 ] && replace=$(printf '%s\n' "${replace_lines[@]}")
  return 0
}

# occurrences TEXT FILE: how many times TEXT occurs in FILE.
occurrences() {
  local content="" rest
  IFS= read -r -d '' content <"$2" || true
  rest=${content//"$1"/}
  echo $(( (${#content} - ${#rest}) / ${#1} ))
}

# Every mutation parses before anything is built.
for name in "${chosen[@]}"; do parse_mutant "$list/$name.mutant" || exit 2; done

if [ -n "$check_build" ]; then
  known=$(ctest --test-dir "$check_build" -N | sed -n 's/^ *Test *#[0-9]*: //p')
  [ -n "$known" ] || { echo "mutants: no CTest tests in $check_build" >&2; exit 2; }
  bad=0
  for name in "${chosen[@]}"; do
    parse_mutant "$list/$name.mutant"
    if [ ! -f "$root/$target" ]; then
      echo "mutants: $name: $target does not exist" >&2; bad=1; continue
    fi
    count=$(occurrences "$find" "$root/$target")
    [ "$count" -eq 1 ] || { echo "mutants: $name: its find text occurs $count times in $target" >&2; bad=1; }
    for test in "${tests[@]}"; do
      grep -qxF -- "$test" <<<"$known" || { echo "mutants: $name: no CTest test '$test'" >&2; bad=1; }
      case "$test" in
        bench.*) echo "mutants: $name: '$test' is a benchmark's test, which the mutants build leaves out" >&2; bad=1 ;;
      esac
    done
  done
  [ "$bad" -eq 0 ] || exit 1
  echo "mutants: ${#chosen[@]} mutation(s), each found once in its file and naming existing tests"
  exit 0
fi

# The copy: the working tree's files (committed or not), copied when their
# content differs, so the copy's build stays incremental.
sync_copy() {
  mkdir -p "$src"
  local file
  while IFS= read -r -d '' file; do
    [ -f "$root/$file" ] || continue
    if ! cmp -s "$root/$file" "$src/$file"; then
      mkdir -p "$src/$(dirname "$file")"
      cp "$root/$file" "$src/$file"
    fi
  done < <(git -C "$root" ls-files -z --cached --others --exclude-standard)
}

build_copy() {
  cmake --build "$bld" -j "$jobs" >"$work/build.log" 2>&1
}

# run_tests: every CTest test; the failed ones' names land in $work/failed.
# A test takes seconds; one a mutation makes hang fails at the timeout.
run_tests() {
  rm -f "$bld/Testing/Temporary/LastTestsFailed.log"
  # mutants.list checks the list against the sources, which a mutation changes.
  ctest --test-dir "$bld" -j "$jobs" --timeout 60 -E '^mutants[.]list$' >"$work/ctest.log" 2>&1 || true
  if [ -f "$bld/Testing/Temporary/LastTestsFailed.log" ]; then
    sed 's/^[0-9]*://' "$bld/Testing/Temporary/LastTestsFailed.log" >"$work/failed"
  else
    : >"$work/failed"
  fi
}

git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1 \
  || { echo "mutants: $root is not a git checkout: the copy is made from its tracked and new files" >&2; exit 2; }
started=$(date +%s)
echo "mutants: copying the source tree to $src and building it (g++, $bld)"
sync_copy
# No benchmarks: no mutation names their tests, and building them is a tenth
# of every rebuild, which CI's time limit feels.
cmake -S "$src" -B "$bld" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=g++ \
  -DCOROSIM_WERROR=OFF -DCOROSIM_BUILD_BENCH=OFF >"$work/configure.log" 2>&1 || { cat "$work/configure.log" >&2; exit 2; }
build_copy || { tail -n 40 "$work/build.log" >&2; echo "mutants: the unmutated copy does not build" >&2; exit 2; }
run_tests
if [ -s "$work/failed" ]; then
  echo "mutants: the suite fails without any mutation; fix that first:" >&2
  sed 's/^/  /' "$work/failed" >&2
  exit 2
fi

caught=0
missed=0
for name in "${chosen[@]}"; do
  parse_mutant "$list/$name.mutant"
  path="$src/$target"
  if [ ! -f "$path" ]; then
    printf 'BROKEN  %s: %s does not exist\n' "$name" "$target"; missed=$((missed + 1)); continue
  fi
  original=""
  IFS= read -r -d '' original <"$path" || true
  count=$(occurrences "$find" "$path")
  if [ "$count" -ne 1 ]; then
    printf 'BROKEN  %s: its find text occurs %d times in %s (must be once)\n' "$name" "$count" "$target"
    missed=$((missed + 1)); continue
  fi
  printf '%s' "${original/"$find"/"$replace"}" >"$path"
  t0=$(date +%s)
  if ! build_copy; then
    printf '%s' "$original" >"$path"
    printf 'BROKEN  %s: the mutated copy does not build (%s)\n' "$name" "$work/build.log"
    missed=$((missed + 1)); continue
  fi
  run_tests
  # Restored with a fresh mtime, so the next build recompiles it.
  printf '%s' "$original" >"$path"
  failing=$(wc -l <"$work/failed")
  not_failing=()
  for test in "${tests[@]}"; do
    grep -qxF -- "$test" "$work/failed" || not_failing+=("$test")
  done
  seconds=$(( $(date +%s) - t0 ))
  if [ "$failing" -eq 0 ]; then
    printf 'MISSED  %s (%s): no test failed [%ds]\n        %s\n' "$name" "$target" "$seconds" "$what"
    missed=$((missed + 1))
  elif [ ${#not_failing[@]} -gt 0 ]; then
    printf 'MISSED  %s (%s): %d test(s) failed, but not the named one(s) [%ds]\n' "$name" "$target" \
      "$failing" "$seconds"
    printf '        still passing: %s\n' "${not_failing[@]}"
    head -n 5 "$work/failed" | sed 's/^/        failed: /'
    missed=$((missed + 1))
  else
    printf 'caught  %s (%s): %d test(s) failed [%ds]\n' "$name" "$target" "$failing" "$seconds"
    caught=$((caught + 1))
  fi
done
# Leave the copy's build matching its sources.
build_copy || true

echo
echo "mutants: ${#chosen[@]} mutation(s): $caught caught, $missed missed or broken, in $(( $(date +%s) - started ))s"
[ "$missed" -eq 0 ]
