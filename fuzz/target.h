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
//
// On Linux the target also owns libFuzzer's extra counters (the section
// libFuzzer reads them from) and fills them with the run's schedule coverage
// (harness/schedule_coverage.h): an input that reaches a new interleaving is
// new coverage even where no code is new.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "corosim/harness/fuzz.h"
#include "corosim/harness/schedule_coverage.h"

#if defined(__linux__)
#define CORO_FUZZ_SCHEDULE_COUNTERS                                                \
  __attribute__((used, section("__libfuzzer_extra_counters"))) static std::uint8_t \
      corosim_schedule_counters[::corosim::ScheduleCoverage::kCounters];           \
  static std::span<std::uint8_t> corosim_schedule_span() { return corosim_schedule_counters; }
#else
#define CORO_FUZZ_SCHEDULE_COUNTERS \
  static std::span<std::uint8_t> corosim_schedule_span() { return {}; }
#endif

#define CORO_FUZZ_TARGET(scenario)                                                    \
  CORO_FUZZ_SCHEDULE_COUNTERS                                                         \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    return ::corosim::fuzz_one_input(scenario, data, size, corosim_schedule_span());  \
  }
