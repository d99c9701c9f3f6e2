// Sweeps a body over every cancellation point in one mode, across seeds, the
// way `corosim run --cancel sweep` does, and finds the strongest
// cancel-safety class an operation keeps.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "corosim/runtime/cancel_safety.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/random.h"

namespace corosim::testing {

struct SweepOutcome {
  std::uint64_t runs = 0;
  std::uint64_t injected = 0;
  std::optional<RunResult> first_failure;
};

inline SweepOutcome sweep(const MainFactory& body, CancelMode mode, std::uint64_t seeds = 4) {
  RandomStrategy strategy;
  Simulator simulator(strategy);
  SweepOutcome outcome;
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    simulator.set_options(SimOptions{});
    const RunResult reference = simulator.run(body, seed);
    ++outcome.runs;
    if (!reference.passed() && !outcome.first_failure) outcome.first_failure = reference;
    for (std::uint64_t point = 0; point < reference.cancel_points; ++point) {
      SimOptions options;
      options.cancel = CancelPlan::at(point, mode);
      simulator.set_options(options);
      RunResult run = simulator.run(body, seed);
      ++outcome.runs;
      outcome.injected += run.injections.empty() ? 0 : 1;
      if (!run.passed() && !outcome.first_failure) outcome.first_failure = std::move(run);
    }
  }
  return outcome;
}

// The strongest claim whose sweep passes: make_body(claim) must run
// check_cancel_safety with that claim.
inline CancelSafety strongest_class(const std::function<MainFactory(CancelSafety)>& make_body,
                                    CancelMode mode) {
  for (CancelSafety claim : {CancelSafety::total, CancelSafety::partial, CancelSafety::terminal}) {
    if (!sweep(make_body(claim), mode).first_failure) return claim;
  }
  return CancelSafety::unsafe;
}

}  // namespace corosim::testing
