// What the benchmark binary measures, by name, and how each reports: every
// workload reports "per_unit" (seconds per unit of its work: a yield, a round
// trip, a task, a timer, a run, a sweep), which bench_main.cpp turns into the
// summary table with ratios and targets.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

#include "corosim/sim/simulator.h"

namespace corosim::bench {

inline constexpr const char* kW1 = "W1_yield_storm";
inline constexpr const char* kW2 = "W2_ping_pong";
inline constexpr const char* kW3 = "W3_spawn_join";
inline constexpr const char* kW4 = "W4_timers";
inline constexpr const char* kW5 = "W5_exploration";
inline constexpr const char* kW6 = "W6_cancel_sweep";
inline constexpr const char* kW7 = "W7_live_fibers";

// A run as an explorer makes most runs: decisions recorded, the trace not (a
// failing run is re-made with its trace: harness/retrace.h), and a passing
// run's decisions left in the simulator.
inline SimOptions exploring_options(std::uint64_t steps_max) {
  SimOptions options;
  options.steps_max = steps_max;
  options.record_trace = false;
  options.decisions_of_passing_runs = false;
  return options;
}

inline void report_per_unit(benchmark::State& state, std::uint64_t units) {
  state.counters["per_unit"] =
      benchmark::Counter(static_cast<double>(units) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace corosim::bench
