// Sweeps a body over every cancellation point in one mode, across seeds, the
// way `corosim run --cancel sweep` does, and finds the strongest
// cancel-safety class an operation keeps.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "corosim/runtime/cancel_safety.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/random.h"

namespace corosim::testing {

struct SweepOutcome {
  std::uint64_t runs = 0;
  std::uint64_t points = 0;  // the reference runs' cancellation points, summed over seeds
  std::uint64_t injected = 0;
  std::optional<RunResult> first_failure;
  // A reference run (no cancellation) failed: its points are not the
  // operation's, and the sweep says nothing about its cancellation.
  bool reference_failed = false;
  bool cancel_safety_failed = false;     // some run failed the state comparison
  std::set<std::string> other_checkers;  // failures of every other checker, by name
};

inline SweepOutcome sweep(const MainFactory& body, CancelMode mode, std::uint64_t seeds = 4) {
  RandomStrategy strategy;
  Simulator simulator(strategy);
  SweepOutcome outcome;
  for (std::uint64_t seed = 0; seed < seeds; ++seed) {
    simulator.set_options(SimOptions{});
    const RunResult reference = simulator.run(body, seed);
    ++outcome.runs;
    outcome.points += reference.cancel_points;
    if (!reference.passed()) {
      outcome.reference_failed = true;
      outcome.other_checkers.insert(std::string("reference run: ") +
                                    checker_name(reference.failure->checker));
      if (!outcome.first_failure) outcome.first_failure = reference;
    }
    for (std::uint64_t point = 0; point < reference.cancel_points; ++point) {
      SimOptions options;
      options.cancel = CancelPlan::at(point, mode);
      simulator.set_options(options);
      RunResult run = simulator.run(body, seed);
      ++outcome.runs;
      outcome.injected += run.injections.empty() ? 0 : 1;
      if (!run.passed()) {
        if (run.failure->checker == Checker::cancel_safety) {
          outcome.cancel_safety_failed = true;
        } else {
          outcome.other_checkers.insert(checker_name(run.failure->checker));
        }
        if (!outcome.first_failure) outcome.first_failure = std::move(run);
      }
    }
  }
  return outcome;
}

// The strongest class an operation keeps under one mode, judged by the state
// comparison alone. A run another checker fails (a retry that deadlocks, a
// leak) ends before the comparison, so it says nothing about the class: it is
// a note of its own.
struct ClassFound {
  CancelSafety strongest = CancelSafety::unsafe;
  std::set<std::string> notes;  // the other checkers that failed runs of the sweep
  std::uint64_t points = 0;     // of the last sweep: none, and no class was judged
  bool reference_failed = false;
};

// make_body(claim) must run check_cancel_safety with that claim.
inline ClassFound strongest_class_with_notes(const std::function<MainFactory(CancelSafety)>& make_body,
                                             CancelMode mode) {
  ClassFound found;
  for (CancelSafety claim : {CancelSafety::total, CancelSafety::partial, CancelSafety::terminal}) {
    SweepOutcome outcome = sweep(make_body(claim), mode);
    found.notes.insert(outcome.other_checkers.begin(), outcome.other_checkers.end());
    found.points = outcome.points;
    found.reference_failed = found.reference_failed || outcome.reference_failed;
    if (!outcome.cancel_safety_failed) {
      found.strongest = claim;
      return found;
    }
  }
  return found;
}

// nullopt: no class was judged (a reference run failed, or the operation
// reached no cancellation point).
inline std::optional<CancelSafety> strongest_class(const std::function<MainFactory(CancelSafety)>& make_body,
                                                   CancelMode mode) {
  const ClassFound found = strongest_class_with_notes(make_body, mode);
  if (found.points == 0 || found.reference_failed) return std::nullopt;
  return found.strongest;
}

}  // namespace corosim::testing
