// rapidcheck: every decision drawn from a rapidcheck generator, so that
// inside rc::check the schedule is shrunk together with the property's own
// generated inputs — a failing case comes back with the smallest inputs *and*
// the plainest schedule (rapidcheck shrinks each pick towards 0: the oldest
// ready fiber, no forced suspension, the first timer, no fault).
//
//   rc::check("deposits never get lost", [] {
//     const int depositors = *rc::gen::inRange(2, 5);
//     corosim::RapidcheckStrategy strategy;
//     corosim::Simulator simulator(strategy);
//     const corosim::RunResult run = simulator.run(bank(depositors), 0);
//     RC_ASSERT(run.passed());
//   });
//
// Header-only, and only usable inside a rapidcheck property: link rapidcheck
// (Debian's librapidcheck-dev) into the test that includes it.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <string>

#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class RapidcheckStrategy final : public Strategy {
 public:
  void begin_run(std::uint64_t) override {}
  std::uint64_t choose(DecisionKind, std::uint64_t n) override {
    return *rc::gen::inRange<std::uint64_t>(0, n);
  }
  std::string describe() const override { return "rapidcheck"; }
};

}  // namespace corosim
