// yield_now asks no yield decision (repro version 3): parking before an
// operand that parks as ready anyway adds nothing. Older repros were recorded
// with the decision and replay with it.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "corosim/runtime/corosim.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/random.h"
#include "tests/common/decision_rules.h"

using corosim::Task;
using corosim::testing::yield_decisions;

namespace {

// Two fibers that only yield: every await but main's joins is a yield_now.
Task<void> yielders() {
  corosim::TaskScope scope;
  for (int f = 0; f < 2; ++f) {
    scope.spawn([]() -> Task<void> {
      for (int i = 0; i < 5; ++i) co_await corosim::yield_now();
    }());
  }
  co_await scope.join();
}

}  // namespace

TEST_CASE("yield_now asks no yield decision unless a version 2 repro is replayed", "[yield][repro]") {
  corosim::RandomStrategy random;
  corosim::SimOptions legacy;
  legacy.decide_before_yield_now = true;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    corosim::Simulator now(random, corosim::SimOptions{});
    const corosim::RunResult plain = now.run(yielders, seed);
    REQUIRE(plain.passed());
    // Nothing is asked: main's join parks on an unfinished scope (version 4).
    CHECK(yield_decisions(plain) == 0);
    corosim::Simulator before(random, legacy);
    const corosim::RunResult old = before.run(yielders, seed);
    REQUIRE(old.passed());
    CHECK(yield_decisions(old) >= 5);  // every yield while the other fiber is ready
  }
}

TEST_CASE("a version 2 repro of a program that yields replays as it was recorded", "[yield][repro]") {
  corosim::RandomStrategy random;
  corosim::SimOptions legacy;  // version 2 also decided before a join that parks
  legacy.decide_before_yield_now = true;
  legacy.decide_before_parking = true;
  corosim::Simulator simulator(random, legacy);
  const corosim::RunResult run = simulator.run(yielders, 7);
  REQUIRE(run.passed());
  // Made under the old rule, it is written as version 2.
  corosim::testing::check_replays_only_as_recorded("yielders", yielders, legacy, run, 2);
}
