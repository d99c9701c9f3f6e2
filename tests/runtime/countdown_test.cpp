// WaitGroup, Latch and Barrier: waiters are released when a count is reached.
#include "corosim/runtime/countdown.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/cancel_table.h"
#include "tests/common/sim_helpers.h"
#include "tests/common/sweep.h"

using corosim::Task;
using corosim::WaitGroup;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

TEST_CASE("a WaitGroup releases every waiter when the last piece of work is done", "[waitgroup]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    int finished = 0;
    int released = 0;
    auto result = run_random(
        [&]() -> Task<void> {
          WaitGroup group;
          co_await group.wait();  // zero: completes at once
          corosim::TaskScope scope;
          group.add(3);
          for (int i = 0; i < 3; ++i) {
            scope.spawn([&]() -> Task<void> {
              co_await corosim::sleep_for(1ms);
              ++finished;
              group.done();
            });
          }
          for (int i = 0; i < 2; ++i) {
            scope.spawn([&]() -> Task<void> {
              co_await group.wait();
              CORO_CHECK(finished == 3);
              ++released;
            });
          }
          co_await group.wait();
          CORO_CHECK(finished == 3);
          co_await scope.join();
        },
        seed);
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(result.passed());
    REQUIRE(released == 2);
  }
}

TEST_CASE("a WaitGroup can be reused and a released waiter returns even if the count rises again",
          "[waitgroup]") {
  auto result = run_fifo([&]() -> Task<void> {
    WaitGroup group;
    group.add();
    auto waiter = corosim::spawn([&]() -> Task<void> { co_await group.wait(); });
    co_await corosim::yield_now();
    group.done();
    group.add(2);  // the next round starts before the waiter ran
    co_await waiter;
    CORO_CHECK(group.count() == 2);
    group.add(-2);
    co_await group.wait();
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("done() past zero is a usage error naming the WaitGroup", "[waitgroup]") {
  auto result = run_fifo([&]() -> Task<void> {
    WaitGroup group;
    group.add();
    group.done();
    group.done();
    co_return;
  });
  REQUIRE(checker_of(result) == "escaped-exception");
  REQUIRE_THAT(message_of(result), Catch::Contains("waitgroup.done") && Catch::Contains("below zero") &&
                                       Catch::Contains("waitgroup#0"));
}

TEST_CASE("waiting on a WaitGroup nobody finishes is a deadlock naming it and its count",
          "[waitgroup][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    WaitGroup group;
    group.add(2);
    group.done();
    co_await group.wait();
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result), Catch::Contains("waitgroup.wait on waitgroup#0 (count 1)"));
}

TEST_CASE("a Latch opens once counted down to zero and never closes again", "[latch]") {
  std::vector<int> through;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Latch latch(3);
    corosim::TaskScope scope;
    for (int i = 0; i < 2; ++i) {
      scope.spawn([&, i]() -> Task<void> {
        co_await latch.arrive_and_wait();
        through.push_back(i);
      });
    }
    co_await corosim::sleep_for(1ms);
    CORO_CHECK(through.empty() && !latch.try_wait() && latch.count() == 1);
    latch.count_down();
    co_await scope.join();
    CORO_CHECK(latch.try_wait());
    co_await latch.wait();
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(through == std::vector<int>{0, 1});
}

TEST_CASE("a Latch counted down past zero is a usage error", "[latch]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Latch latch(1);
    latch.count_down(2);
    co_return;
  });
  REQUIRE(checker_of(result) == "escaped-exception");
  REQUIRE_THAT(message_of(result),
               Catch::Contains("latch.count_down by 2 takes latch#0 (count 1) below zero"));
}

namespace {
// Waiters cancellable from outside; three workers finish at different times.
Task<void> group_waiters() {
  WaitGroup group;
  group.add(3);
  corosim::TaskScope workers;
  for (int i = 1; i <= 3; ++i) {
    workers.spawn([&group, i]() -> Task<void> {
      co_await corosim::sleep_for(std::chrono::milliseconds(i));
      group.done();
    });
  }
  auto a = corosim::spawn([&]() -> Task<void> { co_await group.wait(); }).externally_cancellable();
  auto b = corosim::spawn([&]() -> Task<void> { co_await group.wait(); }).externally_cancellable();
  co_await group.wait();
  co_await workers.join();
  co_await corosim::sleep_for(1ms);
  CORO_CHECK(a.is_finished() && b.is_finished());
}
}  // namespace

TEST_CASE("WaitGroup's ledger balances whenever its waiters are cancelled", "[waitgroup][ledger]") {
  corosim::testing::require_sweeps_pass(group_waiters);
}

namespace {
struct GroupState {
  std::shared_ptr<WaitGroup> group = std::make_shared<WaitGroup>();
  corosim::JoinHandle<void> finisher;
  int returned = 0;
};
}  // namespace

TEST_CASE("cancel-safety table: WaitGroup::wait", "[cancel_safety][table][waitgroup]") {
  using corosim::testing::classify;
  constexpr corosim::CancelSafety kTotal = corosim::CancelSafety::total;
  corosim::testing::require_classes(
      classify<GroupState>([] {
        corosim::CancelSafetySpec<GroupState> spec;
        spec.make = [] {
          GroupState state;
          state.group->add();
          state.finisher = corosim::testing::after_1ms([group = state.group] { group->done(); });
          return state;
        };
        spec.operation = [](GroupState& state) -> Task<void> {
          co_await state.group->wait();
          ++state.returned;
        };
        spec.observe = [](const GroupState& state) {
          return std::to_string(state.returned) + " count " + std::to_string(state.group->count());
        };
        return spec;
      }),
      kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("a Barrier holds every participant until all arrived phase after phase with one leader each",
          "[barrier]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<int> rounds(3, 0);
    int leaders = 0;
    auto result = run_random(
        [&]() -> Task<void> {
          corosim::Barrier barrier(3);
          corosim::TaskScope scope;
          for (int i = 0; i < 3; ++i) {
            scope.spawn([&, i]() -> Task<void> {
              for (int round = 0; round < 3; ++round) {
                ++rounds[i];
                if (co_await barrier.arrive_and_wait()) ++leaders;
                // Nobody is a round behind once the phase completed.
                for (const int other : rounds) CORO_CHECK(other >= round + 1);
              }
            });
          }
          co_await scope.join();
          CORO_CHECK(barrier.phase() == 3);
        },
        seed);
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(result.passed());
    REQUIRE(leaders == 3);
  }
}

TEST_CASE("arrive_and_drop counts for this phase and lowers the participants of the next", "[barrier]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Barrier barrier(3);
    auto other = corosim::spawn([&]() -> Task<void> {
      co_await barrier.arrive_and_wait();
      co_await barrier.arrive_and_wait();  // phase 1 needs only two
    });
    co_await corosim::yield_now();
    barrier.arrive_and_drop();
    CORO_CHECK(co_await barrier.arrive_and_wait());  // the third arrival: the leader
    CORO_CHECK(barrier.participants() == 2 && barrier.phase() == 1);
    co_await barrier.arrive_and_wait();
    co_await other;
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("a participant cancelled while it waits at a Barrier withdraws its arrival", "[barrier][drop]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Barrier barrier(2);
    auto first = corosim::spawn([&]() -> Task<void> { co_await barrier.arrive_and_wait(); });
    co_await corosim::yield_now();
    CORO_CHECK(barrier.arrived() == 1);
    first.cancel();
    CORO_CHECK(barrier.arrived() == 0);
    auto second = corosim::spawn([&]() -> Task<void> { co_await barrier.arrive_and_wait(); });
    co_await corosim::yield_now();
    CORO_CHECK(!second.is_finished());  // the withdrawn arrival does not complete the phase
    co_await barrier.arrive_and_wait();
    co_await second;
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("a participant missing at a Barrier is a deadlock naming the barrier", "[barrier][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Barrier barrier(2);
    co_await barrier.arrive_and_wait();
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result),
               Catch::Contains("barrier.arrive_and_wait on barrier#0 (1 of 2 arrived, phase 0)"));
}

namespace {
Task<void> barrier_participants() {
  corosim::Barrier barrier(3);
  auto participant = [&]() -> Task<void> {
    for (;;) {
      co_await barrier.arrive_and_wait();
      co_await corosim::sleep_for(1ms);
    }
  };
  auto a = corosim::spawn(participant).externally_cancellable();
  auto b = corosim::spawn(participant).externally_cancellable();
  auto c = corosim::spawn(participant).externally_cancellable();
  co_await corosim::sleep_for(5ms);
  a.cancel();
  b.cancel();
  c.cancel();
}

struct BarrierState {
  std::shared_ptr<corosim::Barrier> barrier = std::make_shared<corosim::Barrier>(2);
  corosim::JoinHandle<void> partner;
  int returned = 0;
};
}  // namespace

TEST_CASE("Barrier's ledger balances whenever its participants are cancelled", "[barrier][ledger]") {
  corosim::testing::require_sweeps_pass(barrier_participants);
}

TEST_CASE("cancel-safety table: Barrier::arrive_and_wait", "[cancel_safety][table][barrier]") {
  // The partner arrives every 1ms, phase after phase.
  using corosim::testing::classify;
  constexpr corosim::CancelSafety kTotal = corosim::CancelSafety::total;
  corosim::testing::require_classes(
      classify<BarrierState>([] {
        corosim::CancelSafetySpec<BarrierState> spec;
        spec.make = [] {
          BarrierState state;
          state.partner = corosim::spawn([barrier = state.barrier]() -> Task<void> {
                            for (;;) {
                              co_await corosim::sleep_for(1ms);
                              co_await barrier->arrive_and_wait();
                            }
                          }).shield();
          return state;
        };
        spec.operation = [](BarrierState& state) -> Task<void> {
          co_await state.barrier->arrive_and_wait();
          ++state.returned;
        };
        spec.observe = [](const BarrierState& state) {
          return std::to_string(state.returned) + " phase " + std::to_string(state.barrier->phase());
        };
        return spec;
      }),
      kTotal, kTotal, corosim::CancelSafety::unsafe, kTotal);
}
