#!/usr/bin/env bash
# corosim developer entry point. Quick start: ./dev.sh demo, ./dev.sh test.
# Installs missing Debian packages (checked with dpkg -s), configures with Ninja,
# builds and runs. The CLI lands at build/corosim.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

packages=(g++ cmake ninja-build clang-19 libclang-rt-19-dev libabsl-dev catch2
          librapidcheck-dev libbenchmark-dev libasio-dev libcli11-dev nlohmann-json3-dev
          zip unzip libgtest-dev chromium clang-format-19 git)

jobs=$(nproc 2>/dev/null || echo 2)
# shellcheck source=fuzz/names.sh
. "$root/fuzz/names.sh"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# ensure_packages [EXTRA...]: the packages above, and the extras a command needs.
ensure_packages() {
  local missing=()
  for p in "${packages[@]}" "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing missing packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
}

# configure_and_build DIR PRESET-ARGS...: one CMake build tree.
configure_and_build() {
  local dir=$1; shift
  cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

build_gcc() {
  log "building with g++ (-Wall -Wextra -Werror) into build/"
  configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=g++ -DCOROSIM_WERROR=ON
}

# Line tables are all a sanitizer report needs, and a fifth less compile
# time than -g (the "asan" preset does the same).
build_asan() {
  log "building with clang++-19 under ASan+UBSan into build-asan/"
  configure_and_build build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only \
    -DCMAKE_CXX_COMPILER=clang++-19 -DCOROSIM_WERROR=ON -DCOROSIM_SANITIZE=ON
}

# The files in .clang-format-files must match .clang-format. The list only
# grows: a file joins it once formatted (reformatting a runtime header or a
# scenario moves its suspension points, so the golden trace hashes with it).
check_format() {
  log "checking the format of the files in .clang-format-files (clang-format-19)"
  local files=()
  while IFS= read -r file; do
    case "$file" in ''|'#'*) continue ;; esac
    [ -f "$file" ] || { echo "dev.sh: .clang-format-files names '$file', which does not exist" >&2; exit 1; }
    files+=("$file")
  done < .clang-format-files
  # One clang-format for every file: starting it costs more than formatting
  # a file (1 s in all, against 32 s for a process per file).
  local report
  if ! report=$(clang-format-19 --style=file --dry-run -Werror "${files[@]}" 2>&1); then
    local unformatted
    unformatted=$(sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' <<<"$report" | sort -u | tr '\n' ' ' | sed 's/ $//')
    [ -n "$unformatted" ] || { echo "$report" >&2; echo "dev.sh: clang-format-19 failed" >&2; exit 1; }
    echo "dev.sh: not formatted (clang-format-19 -i FILE fixes it): $unformatted" >&2
    exit 1
  fi
}

run_ctest() {
  local dir=$1
  log "running ctest in $dir"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

consumer_check() {
  local prefix consumer
  prefix=$(mktemp -d)
  consumer=$(mktemp -d)
  log "installing into $prefix and building the find_package(corosim) consumer"
  cmake --install build --prefix "$prefix" >/dev/null
  local configured
  configured=$(cmake -S "$root/tests/install" -B "$consumer" -G Ninja \
    -DCMAKE_CXX_COMPILER=g++ -DCMAKE_PREFIX_PATH="$prefix" 2>&1)
  # The package warns a g++ 12 consumer of the coroutine patterns it miscompiles.
  grep -q 'co_await (c ? task_a() : task_b())' <<<"$configured" \
    || { echo "dev.sh: the installed package did not warn a g++ 12 consumer" >&2; exit 1; }
  cmake --build "$consumer" -j "$jobs"
  "$consumer/consumer"
  log "the consumer's scenarios as CTest tests (corosim_add_scenarios)"
  ctest --test-dir "$consumer" --output-on-failure -j "$jobs"
  # One test per scenario, labelled by family: the label selects exactly one.
  # Captured first: `ctest | grep -q` under pipefail fails when grep exits
  # before ctest has written its last line (SIGPIPE).
  labelled=$(ctest --test-dir "$consumer" -N -L '^bank$')
  grep -q 'consumer_scenarios:bank/lost_update' <<<"$labelled" \
    || { echo "dev.sh: corosim_add_scenarios did not register bank/lost_update with label bank" >&2; exit 1; }
  [ "$(ctest --test-dir "$consumer" -N | sed -n 's/^Total Tests: //p')" = 2 ] \
    || { echo "dev.sh: corosim_add_scenarios registered the wrong number of tests" >&2; exit 1; }
  local compiler build
  for compiler in g++ clang++-19; do
    build=$(mktemp -d)
    log "every example (examples/CMakeLists.txt) with $compiler, built against the install"
    configured=$(cmake -S "$root/examples" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$compiler" \
      -DCMAKE_PREFIX_PATH="$prefix" 2>&1)
    if [ "$compiler" != g++ ] && grep -q 'miscompiles' <<<"$configured"; then
      echo "dev.sh: the installed package warned a $compiler consumer about g++ 12" >&2; exit 1
    fi
    cmake --build "$build" -j "$jobs"
    ctest --test-dir "$build" --output-on-failure -j "$jobs"
    rm -rf "$build"
  done
  log "the CI recipe, examples/090-ci-shards/corosim.yml, run locally (run-locally.sh)"
  local ci_work
  ci_work=$(mktemp -d)
  COROSIM_PREFIX="$prefix" SEEDS=400 FUZZ_SECONDS=5 "$root/examples/090-ci-shards/run-locally.sh" \
    "$root/examples/090-ci-shards/corosim.yml" "$ci_work"
  rm -rf "$prefix" "$consumer" "$ci_work"
}

# build_fuzzers OUT: the libFuzzer targets, built by fuzz/build.sh as OSS-Fuzz
# would (clang-19, ASan+UBSan, the engine from $LIB_FUZZING_ENGINE); the build
# tree stays in build-fuzz/ so later builds are incremental.
build_fuzzers() {
  log "building the libFuzzer targets with fuzz/build.sh (clang-19, ASan+UBSan) into $1"
  OUT="$1" WORK="$root/build-fuzz" CXX=clang++-19 \
    CXXFLAGS="-O1 -gline-tables-only -fno-omit-frame-pointer -fsanitize=address,undefined -fsanitize=fuzzer-no-link" \
    LIB_FUZZING_ENGINE=-fsanitize=fuzzer "$root/fuzz/build.sh"
}

fuzz_check() {
  local out
  out=$(mktemp -d)
  build_fuzzers "$out"
  log "running every fuzzer for a bounded number of executions (fuzz/check.sh)"
  "$root/fuzz/check.sh" "$out" build/corosim
  rm -rf "$out"
}

# fuzz_one TARGET SECONDS: fuzzes one target from its corpus in
# build-fuzz/corpus/; a crash becomes a repro, replayed at once.
fuzz_one() {
  local target=$1 seconds=$2 out="$root/build-fuzz/out" cli="$root/build-fuzz/corosim-fuzz/corosim"
  # A scenario name works too: select/read_send_loop -> select_read_send_loop_fuzzer.
  case "$target" in *_fuzzer) ;; *) target=$(fuzz_target_of "$target") ;; esac
  if [ ! -x "$out/$target" ]; then
    echo "dev.sh fuzz: no fuzzer '$target'; the fuzzers are:" >&2
    (cd "$out" && ls ./*_fuzzer | sed 's|^./|  |') >&2
    exit 2
  fi
  local corpus="$root/build-fuzz/corpus/$target" crashes="$root/build-fuzz/crashes"
  mkdir -p "$corpus" "$crashes"
  local dict=()
  [ -f "$out/$target.dict" ] && dict=("-dict=$out/$target.dict")
  log "fuzzing $target for ${seconds}s (corpus $corpus)"
  local started="$crashes/.started"
  touch "$started"
  set +e
  "$out/$target" -max_total_time="$seconds" -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$crashes/$target-" "$corpus" 2>&1 | grep -v '^INFO:'
  set -e
  local crash
  crash=$(ls -t "$crashes/$target"-crash-* 2>/dev/null | grep -v '\.repro$' | head -n 1 || true)
  if [ -z "$crash" ] || ! [ "$crash" -nt "$started" ]; then
    log "no failure in ${seconds}s"
    return 0
  fi
  local scenario
  scenario=$(fuzz_scenario_of "$target")
  if [ -z "$scenario" ]; then
    log "$target crashed on $crash"
    return 1
  fi
  log "the failing input as a repro"
  "$cli" import-fuzz "$scenario" "$crash" || true
  log "replayed"
  "$cli" replay "$crash.repro" --trace-tail 4 || true
  return 1
}

cmd=${1:-help}
case "$cmd" in
  deps)
    ensure_packages ;;
  build)
    ensure_packages; build_gcc ;;
  demo)
    ensure_packages; build_gcc
    log "bundled scenarios"
    build/corosim list
    log "replaying the regression corpus, then exploring every bundled scenario with 200 seeds (strategy pos)"
    rm -rf build/demo-repros
    set +e
    build/corosim run --seeds 200 --regressions scenarios/regressions \
      --out build/demo-repros
    status=$?
    set -e
    echo
    repro=$(ls build/demo-repros/race_lost_update-*.repro | head -n 1)
    log "one failure replayed from its repro file ($repro), decision by decision"
    build/corosim replay "$repro" --trace-tail 4 || true
    echo
    log "the same failure, minimised"
    build/corosim minimize "$repro" --out build/demo-repros/race_lost_update.min.repro
    exit $status ;;
  test)
    ensure_packages
    check_format
    build_gcc; run_ctest build
    build_asan; run_ctest build-asan
    consumer_check
    fuzz_check
    log "all checks passed" ;;
  bench)
    ensure_packages valgrind
    log "building benchmarks in Release into build-release/"
    configure_and_build build-release -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++
    build-release/bench/corosim_bench "${@:2}"
    log "counting instructions per unit of W1-W3 and W5 under callgrind (steady on a loaded machine)"
    build-release/bench/corosim_bench --instructions ;;
  bench-bugs)
    ensure_packages
    log "building the bug benchmark in Release into build-release/"
    configure_and_build build-release -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++
    log "running it (every bug x strategy, 20 trials); writing docs/bug-finding.md with bench/published.md"
    build-release/bench/corosim_bugbench > build-release/bug-finding.md
    {
      head -n 2 build-release/bug-finding.md
      echo "Machine: $(nproc)-core $(uname -m), $(g++ --version | head -n 1), Release, $(date -u +%F)."
      tail -n +2 build-release/bug-finding.md
      echo
      cat bench/published.md
    } > docs/bug-finding.md
    build_fuzzers "$root/build-fuzz/out"
    log "measuring the fuzzers on the same bugs (fuzz/measure.sh); appending to docs/bug-finding.md"
    { echo; fuzz/measure.sh build-fuzz/out build-fuzz/corosim-fuzz/corosim; } >> docs/bug-finding.md
    cat docs/bug-finding.md ;;
  fuzz)
    ensure_packages
    build_fuzzers "$root/build-fuzz/out"
    if [ $# -lt 2 ]; then
      echo "usage: ./dev.sh fuzz TARGET [SECONDS]   (a scenario name or one of:)"
      (cd build-fuzz/out && ls ./*_fuzzer | sed 's|^./|  |')
      exit 0
    fi
    fuzz_one "$2" "${3:-60}" ;;
  mutants)
    ensure_packages
    log "mutation check: each mutation in tests/mutants/ applied to a copy of the tree (build-mutants/)"
    tests/mutants/run.sh "${@:2}" ;;
  help|-h|--help)
    cat <<'USAGE'
usage: ./dev.sh COMMAND
  demo    install missing packages, build, run the bundled scenarios and show what they find
  test    check formatting (.clang-format-files), build with g++ -Werror and run the
          tests, then clang-19 ASan+UBSan and run them
          again, then build a find_package(corosim) consumer and every examples/ project
          against an install (g++ and clang-19), run the CI recipe locally, then
          build the libFuzzer targets with fuzz/build.sh and run each a bounded number of times
  build   build with g++ into build/ (CLI: build/corosim)
  bench   build in Release and run the Google Benchmark suite (extra args go to it), then
          count instructions per unit of W1-W3 and W5 under callgrind (installs valgrind if missing)
  bench-bugs  build in Release, run the bug benchmark, then the fuzzers on the same bugs;
          write docs/bug-finding.md
  fuzz [TARGET [SECONDS]]  build the libFuzzer targets into build-fuzz/out; fuzz TARGET (a
          scenario name or NAME_fuzzer) for SECONDS (default 60); a failure becomes a repro
  mutants [--subset K] [NAME...]  apply each mutation in tests/mutants/ to a copy of the tree
          (build-mutants/), rebuild, run every test; each must be caught by the tests it names
          (--subset K: K of them, chosen from the commit hash, as CI does)
  deps    install the Debian packages corosim needs
USAGE
    ;;
  *)
    echo "dev.sh: unknown command '$cmd' (try ./dev.sh help)" >&2; exit 2 ;;
esac
