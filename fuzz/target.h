// CORO_FUZZ_TARGET("scenario"): makes a source file a libFuzzer target for a
// scenario registered in the same binary. Link it with -fsanitize=fuzzer (or
// $LIB_FUZZING_ENGINE) and compile with -fsanitize=fuzzer-no-link:
//
//   #include "corosim/fuzz/target.h"
//   CORO_SCENARIO("cache/evict", corosim::passes()) { ... }
//   CORO_FUZZ_TARGET("cache/evict")
//
// Every decision of the run comes from the fuzzer's input; a failing run
// prints its report and aborts, and `corosim import-fuzz SCENARIO CRASH-FILE`
// turns the crash file into a repro (docs/fuzzing.md).
#pragma once

#include <cstddef>
#include <cstdint>

#include "corosim/harness/fuzz.h"

#define CORO_FUZZ_TARGET(scenario)                                                    \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    return ::corosim::fuzz_one_input(scenario, data, size);                           \
  }
