// The machinery of the cancel-safety table (docs/cancel-safety.md): classify
// an operation in each mode by sweeping check_cancel_safety over it, and
// assert the strongest class that holds.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "corosim/runtime/corosim.h"
#include "tests/common/sweep.h"

namespace corosim::testing {

struct Classes {
  ClassFound drop;
  ClassFound stop;
  ClassFound prompt;
  ClassFound interrupt;
};

template <class State>
Classes classify(std::function<CancelSafetySpec<State>()> make_spec) {
  auto body_for = [make_spec](CancelSafety claim) -> corosim::MainFactory {
    return [make_spec, claim]() -> Task<void> {
      CancelSafetySpec<State> spec = make_spec();
      spec.claim = claim;
      co_await corosim::check_cancel_safety(std::move(spec));
    };
  };
  using corosim::testing::strongest_class_with_notes;
  return Classes{strongest_class_with_notes(body_for, CancelMode::drop),
                 strongest_class_with_notes(body_for, CancelMode::stop),
                 strongest_class_with_notes(body_for, CancelMode::prompt),
                 strongest_class_with_notes(body_for, CancelMode::interrupt)};
}

inline void require_class(const char* mode, const ClassFound& got, CancelSafety expected) {
  INFO("mode " << mode);
  CHECK(corosim::cancel_safety_name(got.strongest) == std::string(corosim::cancel_safety_name(expected)));
  // Every verdict comes from the state comparison: no run of the sweep failed
  // with another checker (which would end it before the comparison), the
  // reference runs passed, and there were points to cancel at.
  CHECK(got.notes.empty());
  CHECK(got.points > 0);
}

inline void require_classes(const Classes& got, CancelSafety drop, CancelSafety stop, CancelSafety prompt,
                            CancelSafety interrupt) {
  require_class("drop", got.drop, drop);
  require_class("stop", got.stop, stop);
  require_class("prompt", got.prompt, prompt);
  require_class("interrupt", got.interrupt, interrupt);
}

// Runs `release` after 1ms in a fiber that is harness, not under test.
template <class F>
JoinHandle<void> after_1ms(F release) {
  return corosim::spawn([release]() -> Task<void> {
           co_await corosim::sleep_for(std::chrono::milliseconds(1));
           release();
         })
      .shield();
}

// Sweeps body over every cancellation point in each mode (four seeds) and
// requires every run to pass, with at least one cancellation injected: what a
// primitive's ledger test asks of a program that uses it correctly.
inline void require_sweeps_pass(const corosim::MainFactory& body) {
  std::uint64_t injected = 0;
  for (corosim::CancelMode mode : {corosim::CancelMode::drop, corosim::CancelMode::prompt,
                                   corosim::CancelMode::interrupt, corosim::CancelMode::stop}) {
    const SweepOutcome outcome = sweep(body, mode);
    INFO("mode " << corosim::cancel_mode_name(mode) << ": "
                 << (outcome.first_failure ? outcome.first_failure->failure->message : std::string()));
    REQUIRE(!outcome.first_failure);
    injected += outcome.injected;
  }
  REQUIRE(injected > 0);
}

}  // namespace corosim::testing
