#!/usr/bin/env bash
# The steps of the CI workflow in corosim.yml, a command each, so that the
# workflow and its local run (run-locally.sh) execute the same commands. Run
# from the repository root, as a workflow step is.
#
#   ci.sh deps            the Debian packages corosim needs (./dev.sh deps)
#   ci.sh build           corosim, installed into ci-prefix/ (skipped when
#                         $COROSIM_PREFIX already holds an install: a cache),
#                         then this example against it, into ci-build/
#   ci.sh sweep I N       shard I of N of the sweep, with the regression corpus
#                         first: ci-out/shard-I.json, repros in ci-out/repros/,
#                         the scenario binary in ci-out/bin/ for the verdict job
#   ci.sh merge N         the verdict: corosim merge over ci-out/shard-1..N.json
#   ci.sh fuzz            examples/080-fuzz-target under libFuzzer (clang-19)
#
# SEEDS (default 4000) is the whole sweep's seed count, shared by the shards;
# FUZZ_SECONDS (default 60) how long the fuzz job fuzzes.
set -euo pipefail
example=examples/090-ci-shards
seeds=${SEEDS:-4000}
prefix=${COROSIM_PREFIX:-$PWD/ci-prefix}

install_corosim() {
  if [ -f "$prefix/lib/cmake/corosim/corosimConfig.cmake" ]; then
    echo "ci.sh: corosim already installed in $prefix"
    return
  fi
  cmake -S . -B ci-build/corosim -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
    -DCOROSIM_BUILD_TESTS=OFF -DCOROSIM_BUILD_BENCH=OFF
  cmake --build ci-build/corosim
  cmake --install ci-build/corosim --prefix "$prefix"
}

case "${1:-}" in
  deps)
    ./dev.sh deps ;;
  build)
    install_corosim
    cmake -S "$example" -B ci-build/example -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_PREFIX_PATH="$prefix"
    cmake --build ci-build/example ;;
  sweep)
    shard=${2:?usage: ci.sh sweep I N}
    shards=${3:?usage: ci.sh sweep I N}
    mkdir -p ci-out/bin
    cp ci-build/example/shards ci-out/bin/
    # Exit 1 (an expectation not met) still leaves the summary for the verdict.
    ci-build/example/shards run --seeds "$seeds" --shard "$shard/$shards" \
      --regressions "$example/regressions" --out ci-out/repros --json "ci-out/shard-$shard.json" --quiet ;;
  merge)
    shards=${2:?usage: ci.sh merge N}
    chmod +x ci-out/bin/shards  # artifacts lose the executable bit
    summaries=()
    for i in $(seq 1 "$shards"); do summaries+=("ci-out/shard-$i.json"); done
    ci-out/bin/shards merge "${summaries[@]}" --json ci-out/sweep.json ;;
  fuzz)
    seconds=${FUZZ_SECONDS:-60}
    install_corosim
    cmake -S examples/080-fuzz-target -B ci-build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-19 \
      -DCMAKE_PREFIX_PATH="$prefix"
    cmake --build ci-build/fuzz
    mkdir -p ci-out/fuzz-corpus
    # A crash leaves crash-* in ci-out/: corosim import-fuzz turns it into a repro.
    ci-build/fuzz/bank_fuzzer -max_total_time="$seconds" -artifact_prefix=ci-out/ ci-out/fuzz-corpus ;;
  *)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 2 ;;
esac
