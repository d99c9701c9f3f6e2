// An operation that parks the fiber now (a join on an unfinished fiber, a recv
// on an empty channel, a wait on an unset event) asks no yield decision
// (repro version 4): the fiber parks anyway and the others run then. One
// that is ready asks, as any operation does. Older repros were recorded with
// the decision and replay with it.
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

// Every await parks: main's recv, wait and join each come before what they
// wait for, and the other fibers never await (the spinner only yields, which
// asks nothing either). The spinner keeps another fiber ready throughout.
Task<void> parks_each_time() {
  auto [tx, rx] = corosim::channel<int>(1);
  corosim::Event go;
  corosim::TaskScope scope;
  scope.spawn([]() -> Task<void> {
    for (int i = 0; i < 100; ++i) co_await corosim::yield_now();
  });
  scope.spawn([](corosim::Sender<int> out) -> Task<void> {
    out.try_send(1);
    co_return;
  }(std::move(tx)));
  auto value = co_await rx.recv();
  CORO_CHECK(value.has_value());
  scope.spawn([](corosim::Event* event) -> Task<void> {
    event->set();
    co_return;
  }(&go));
  co_await go.wait();
  co_await scope.join();
}

// Main joins a child that has already finished: the join is ready, and a
// forced suspension before it is a real choice while another fiber is ready.
Task<void> joins_a_finished_child() {
  auto done = corosim::spawn([]() -> Task<void> { co_return; });
  auto spinner = corosim::spawn([]() -> Task<void> {
    for (int i = 0; i < 50; ++i) co_await corosim::yield_now();
  });
  co_await corosim::yield_now();  // the child runs first: fifo order
  for (int i = 0; i < 20 && !done.is_finished(); ++i) co_await corosim::yield_now();
  CORO_CHECK(done.is_finished());
  co_await done;
  co_await spinner;
}

}  // namespace

TEST_CASE("an operation that parks asks no yield decision unless a version 3 repro is replayed",
          "[yield][repro]") {
  corosim::RandomStrategy random;
  corosim::SimOptions legacy;
  legacy.decide_before_parking = true;
  std::uint64_t asked_before = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    corosim::Simulator now(random, corosim::SimOptions{});
    const corosim::RunResult plain = now.run(parks_each_time, seed);
    INFO("seed " << seed);
    REQUIRE(plain.passed());
    CHECK(yield_decisions(plain) == 0);
    corosim::Simulator before(random, legacy);
    const corosim::RunResult old = before.run(parks_each_time, seed);
    REQUIRE(old.passed());
    asked_before += yield_decisions(old);
  }
  // The old rule asked before main's recv, wait and join while the spinner was ready.
  CHECK(asked_before >= 60);
}

TEST_CASE("a join on a finished fiber still asks a yield decision", "[yield]") {
  corosim::RandomStrategy random;
  std::uint64_t asked = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    corosim::Simulator simulator(random, corosim::SimOptions{});
    const corosim::RunResult run = simulator.run(joins_a_finished_child, seed);
    INFO("seed " << seed);
    REQUIRE(run.passed());
    asked += yield_decisions(run);
  }
  CHECK(asked >= 20);
}

TEST_CASE("a version 3 repro of a program that parks replays as it was recorded", "[yield][repro]") {
  corosim::RandomStrategy random;
  corosim::SimOptions legacy;
  legacy.decide_before_parking = true;
  corosim::Simulator simulator(random, legacy);
  // A seed whose run was asked before a parking operation and parked as ready there.
  std::uint64_t seed = 0;
  corosim::RunResult run;
  for (; seed < 50; ++seed) {
    run = simulator.run(parks_each_time, seed);
    REQUIRE(run.passed());
    bool yielded = false;
    for (const corosim::Decision& decision : run.decisions)
      yielded = yielded || (decision.kind == corosim::DecisionKind::yield && decision.value == 1);
    if (yielded) break;
  }
  REQUIRE(seed < 50);
  corosim::testing::check_replays_only_as_recorded("parks", parks_each_time, legacy, run, 3);
}
