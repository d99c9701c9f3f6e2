#!/bin/bash -eu
# Builds corosim's libFuzzer targets the way OSS-Fuzz and ClusterFuzzLite
# build a project: the compiler and flags come from $CXX and $CXXFLAGS
# (which carry -fsanitize=fuzzer-no-link and the sanitizer), the engine from
# $LIB_FUZZING_ENGINE, and everything lands in $OUT:
#   NAME_fuzzer                 one per bundled scenario (fuzz/scenarios.txt),
#                               repro_parser_fuzzer, flag_values_fuzzer
#   NAME_fuzzer_seed_corpus.zip the regression corpus (scenarios/regressions)
#                               as fuzz inputs; the parser's holds the repros
#                               themselves and fuzz/corpus/repro_parser
#   NAME_fuzzer.dict            dictionaries for the text parsers
# $WORK (default: a temporary folder) holds the CMake build tree, so a second
# run with the same $WORK rebuilds only what changed.
#
#   OUT=/tmp/out CXX=clang++-19 \
#   CXXFLAGS="-O1 -gline-tables-only -fsanitize=address,undefined -fsanitize=fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer fuzz/build.sh
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/fuzz/names.sh"
: "${OUT:?set OUT to the folder the fuzzers go to}"
: "${CXX:=clang++}"
: "${CXXFLAGS:=-O1 -gline-tables-only -fsanitize=address,undefined -fsanitize=fuzzer-no-link}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${WORK:=$(mktemp -d)}"
build="$WORK/corosim-fuzz"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
# No build type: $CXXFLAGS alone sets optimisation, and assertions stay on.
cmake -S "$src" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE= \
  -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCOROSIM_FUZZ=ON \
  -DCOROSIM_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DCOROSIM_BUILD_TESTS=OFF \
  -DCOROSIM_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"

# --remove-destination: a fuzzer still running from an earlier build keeps its old file.
cp --remove-destination "$build"/fuzz/*_fuzzer "$OUT/"
cp "$src"/fuzz/repro_parser.dict "$OUT/repro_parser_fuzzer.dict"

# Seed corpora: each regression repro, converted by the corosim binary just
# built into the input that makes the same run in its scenario's target.
seeds="$WORK/corosim-seeds"
rm -rf "$seeds"
mkdir -p "$seeds/repro_parser_fuzzer"
for repro in "$src"/scenarios/regressions/*.repro; do
  scenario=$(sed -n 's/^scenario: //p' "$repro")
  target=$(fuzz_target_of "$scenario")
  mkdir -p "$seeds/$target"
  if ! "$build/corosim" export-fuzz "$repro" --out "$seeds/$target/$(basename "$repro" .repro)" >/dev/null; then
    echo "fuzz/build.sh: no seed from $repro (see the message above)" >&2
  fi
  cp "$repro" "$seeds/repro_parser_fuzzer/"
done
cp "$src"/fuzz/corpus/repro_parser/* "$seeds/repro_parser_fuzzer/"
for dir in "$seeds"/*/; do
  target=$(basename "$dir")
  rm -f "$OUT/${target}_seed_corpus.zip"
  # The empty input (no chosen decision: a pos sample) starts every corpus.
  : > "$dir/empty"
  (cd "$dir" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
done
echo "fuzz/build.sh: $(ls "$OUT"/*_fuzzer | wc -l) fuzzers in $OUT"
