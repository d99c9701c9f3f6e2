// runtime/primitive.h, through the condition variable of
// examples/100-condition-variable, which is built on the kit alone.
#include <catch2/catch.hpp>
#include <coroutine>
#include <string>
#include <utility>

#include "corosim/runtime/corosim.h"
#include "examples/100-condition-variable/condition_variable.h"
#include "examples/100-condition-variable/handoff.h"
#include "tests/common/sim_helpers.h"
#include "tests/common/sweep.h"

namespace {

using corosim::CancelMode;
using corosim::Task;
using corosim::testing::checker_of;
using Correct = example::ConditionVariable;
using Broken = example::BasicConditionVariable<example::PassOn::no>;

corosim::RunResult run_once(const corosim::MainFactory& body, std::uint64_t seed = 0) {
  corosim::RandomStrategy strategy;
  corosim::Simulator simulator(strategy);
  return simulator.run(body, seed);
}

}  // namespace

TEST_CASE("primitive kit: a deadlock report names a user primitive and its operation", "[primitive]") {
  const corosim::RunResult result = run_once(example::forgotten_notify<Correct>);
  REQUIRE(checker_of(result) == "deadlock");
  const std::string& report = result.failure->message;
  INFO(report);
  CHECK_THAT(report, Catch::Contains(
                         "fiber 0 (main) waits at examples/100-condition-variable/condition_variable.h:"));
  CHECK_THAT(report, Catch::Contains("in condvar.wait on condvar#"));
  CHECK_THAT(report, !Catch::Contains("event#"));
}

TEST_CASE("primitive kit: the wait-for graph shows a user primitive between fibers", "[primitive]") {
  // A lock held across a wait: B waits on the mutex A holds while A waits on
  // the condition variable nobody notifies. B starts once A holds it, so the
  // story is the same on every schedule.
  auto body = []() -> Task<void> {
    corosim::Mutex mutex;
    corosim::Event holding;
    Correct never;
    auto a = corosim::spawn([&]() -> Task<void> {
      auto guard = co_await mutex.lock();
      holding.set();
      corosim::Mutex other;
      auto inner = co_await other.lock();
      co_await never.wait(inner);  // releases `other`, keeps `mutex`
    });
    co_await holding.wait();
    auto b = corosim::spawn([&]() -> Task<void> { auto guard = co_await mutex.lock(); });
    co_await b;
    co_await a;
  };
  const corosim::RunResult result = run_once(body);
  REQUIRE(checker_of(result) == "deadlock");
  INFO(result.failure->message);
  CHECK_THAT(result.failure->message, Catch::Contains("in condvar.wait on condvar#"));
  CHECK_THAT(result.failure->message, Catch::Contains("in mutex.lock on mutex#0, held by fiber 1"));
}

TEST_CASE("primitive kit: the correct condition variable passes the sweep in every mode",
          "[primitive][cancel]") {
  for (CancelMode mode : corosim::all_cancel_modes()) {
    INFO("mode " << corosim::cancel_mode_name(mode));
    const auto outcome = corosim::testing::sweep(example::handoff<Correct>, mode, 12);
    CHECK(outcome.injected > 0);
    if (outcome.first_failure) {
      INFO(outcome.first_failure->failure->message);
      CHECK_FALSE(outcome.first_failure.has_value());
    }
  }
}

TEST_CASE("primitive kit: a notification lost to a cancelled waiter is found", "[primitive][cancel]") {
  // Without the hand-on, a waiter notified and then cancelled takes the only
  // notification with it: the other waiter never wakes.
  const auto outcome = corosim::testing::sweep(example::handoff<Broken>, CancelMode::prompt, 12);
  REQUIRE(outcome.first_failure.has_value());
  CHECK(checker_of(*outcome.first_failure) == "deadlock");
  INFO(outcome.first_failure->failure->message);
  CHECK_THAT(outcome.first_failure->failure->message, Catch::Contains("in condvar.wait on condvar#"));
  // With no cancellation the broken version passes: only the sweep finds it.
  for (std::uint64_t seed = 0; seed < 12; ++seed) CHECK(run_once(example::handoff<Broken>, seed).passed());
}

TEST_CASE("primitive kit: wake_one and wake_all wake in FIFO order", "[primitive]") {
  auto body = []() -> Task<void> {
    struct Target final : corosim::WaitTarget {
      void describe(std::string& out) const override { out += "target"; }
    } target;
    corosim::WaitQueue queue(target, "test.park");
    std::string order;
    auto waiter = [&](char name) -> Task<void> {
      corosim::WaitQueue::Ticket ticket;
      co_await queue.park(ticket);
      CORO_CHECK(ticket.woken());
      CORO_CHECK(!ticket.queued());
      order += name;
    };
    auto first = corosim::spawn(waiter, 'a');
    co_await corosim::yield_now();
    auto second = corosim::spawn(waiter, 'b');
    for (int i = 0; i < 10; ++i) co_await corosim::yield_now();  // both parked
    CORO_CHECK(!queue.empty());
    CORO_CHECK(queue.wake_one());
    co_await first;
    CORO_CHECK(queue.wake_all() == 1);
    co_await second;
    CORO_CHECK(!queue.wake_one());
    CORO_CHECK(order == "ab");
  };
  corosim::FifoStrategy strategy;
  corosim::Simulator simulator(strategy);
  const corosim::RunResult result = simulator.run(body, 0);
  INFO((result.failure ? result.failure->message : std::string()));
  CHECK(result.passed());
}

namespace {

// A user awaiter with an intrusive node, as a hand-written primitive has: a
// partner reaches the awaiter through the node, so the awaiter must stay
// where it was constructed from await_ready to await_resume. Neither
// copyable nor movable, so a move by the hook would not even compile; the
// addresses check that no copy stands in for it either.
struct Slot {
  struct Awaiter* parked = nullptr;
};

struct Awaiter {
  explicit Awaiter(Slot& slot) : slot(slot), constructed_at(this) {}
  Awaiter(const Awaiter&) = delete;
  Awaiter& operator=(const Awaiter&) = delete;

  bool await_ready() {
    ready_at = this;
    return false;
  }
  void await_suspend(std::coroutine_handle<>) {
    suspended_at = this;
    fiber = corosim::current_fiber();
    slot.parked = this;  // the intrusive link a partner follows
  }
  int await_resume() const {
    CORO_CHECK(this == constructed_at && ready_at == constructed_at && suspended_at == constructed_at);
    return value;
  }

  Slot& slot;
  Awaiter* constructed_at;
  Awaiter* ready_at = nullptr;
  Awaiter* suspended_at = nullptr;
  corosim::Fiber* fiber = nullptr;
  int value = 0;
};

// An awaitable whose operator co_await makes the awaiter (a prvalue).
struct Awaitable {
  Slot& slot;
  Awaiter operator co_await() const { return Awaiter(slot); }
};

}  // namespace

TEST_CASE("the hook never moves a user awaiter that a partner reaches through a pointer", "[primitive]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {  // random: pre-empted before some awaits
    int got = 0;
    const corosim::RunResult result = run_once(
        [&]() -> Task<void> {
          Slot slot;
          auto partner = corosim::spawn([&slot]() -> Task<void> {
            for (int round = 0; round < 2; ++round) {
              while (slot.parked == nullptr) co_await corosim::yield_now();
              Awaiter* parked = std::exchange(slot.parked, nullptr);
              parked->value = 10 + round;  // through the pointer taken in await_suspend
              corosim::detail::fiber_wake(*parked->fiber);
            }
          });
          got += co_await Awaiter(slot);
          got += co_await Awaitable{slot};
          co_await partner;
        },
        seed);
    INFO("seed " << seed);
    REQUIRE(checker_of(result) == "passed");
    REQUIRE(got == 21);
  }
}
