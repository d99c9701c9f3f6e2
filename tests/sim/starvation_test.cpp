// The snooze, hogging and futurelock checkers: each must fire on the structure
// it names, and must not fire on scheduling bad luck.
#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "corosim/runtime/corosim.h"
#include "corosim/sim/simulator.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

namespace {

// As unfair as a scheduler gets: always the newest ready fiber, always park
// before an operand when it can — what PCT's low priorities look like to the
// fiber at the bottom.
class UnfairStrategy final : public corosim::Strategy {
 public:
  void begin_run(std::uint64_t) override {}
  std::uint64_t choose(corosim::DecisionKind kind, std::uint64_t n) override {
    return kind == corosim::DecisionKind::schedule || kind == corosim::DecisionKind::yield ? n - 1 : 0;
  }
  std::string describe() const override { return "unfair"; }
};

corosim::RunResult run_unfair(const corosim::MainFactory& body, corosim::SimOptions options = {}) {
  UnfairStrategy strategy;
  corosim::Simulator simulator(strategy, options);
  return simulator.run(body, 0);
}

Task<int> after(corosim::Duration delay, int value) {
  co_await corosim::sleep_for(delay);
  co_return value;
}

int body_line = 0;

Task<int> wait_then(corosim::Event& signal, int value) {
  co_await signal.wait();
  co_return value;
}

// Owner loop: take a value, then spend `body` on something else.
Task<void> slow_loop(corosim::PolledSet<int>& set, corosim::Duration body) {
  while (std::optional<int> value = co_await set.next()) {
    body_line = __LINE__ + 1;
    co_await corosim::sleep_for(body);  // the set is not polled meanwhile
  }
}

// Three members that finish 1ms apart.
void fill(corosim::PolledSet<int>& set) {
  for (int i = 1; i <= 3; ++i) set.push(after(i * 1ms, i));
}

}  // namespace

TEST_CASE("snooze: a member left ready while its owner sleeps is reported with the owner's await",
          "[snooze]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::PolledSet<int> set;
    fill(set);
    co_await slow_loop(set, 3s);
  });
  REQUIRE(checker_of(result) == "snooze");
  const std::string message = message_of(result);
  INFO(message);
  REQUIRE(message.find("fiber 2") != std::string::npos);  // the second member, ready at 2ms
  REQUIRE(message.find("ready since t=2ms") != std::string::npos);
  REQUIRE(message.find("set#") != std::string::npos);
  REQUIRE(message.find("is awaiting sleep at tests/sim/starvation_test.cpp:") != std::string::npos);
  // slow_loop's sleep: where the fix belongs.
  REQUIRE(result.failure->location.line() == static_cast<std::uint32_t>(body_line));
  REQUIRE(result.time_ns == 1'002'000'000);  // reported the moment the bound passed
}

TEST_CASE("snooze: a body shorter than the bound is not reported under fifo or random or an unfair scheduler",
          "[snooze]") {
  auto body = []() -> Task<void> {
    corosim::PolledSet<int> set;
    fill(set);
    co_await slow_loop(set, 400ms);  // the last member waits two bodies
  };
  REQUIRE(run_fifo(body).passed());
  REQUIRE(run_unfair(body).passed());
  for (std::uint64_t seed = 0; seed < 50; ++seed) REQUIRE(run_random(body, seed).passed());
}

TEST_CASE("snooze: the spawned variant never snoozes however long the body", "[snooze]") {
  auto body = []() -> Task<void> {
    corosim::PolledSet<int> set(corosim::Polling::spawned);
    fill(set);
    co_await slow_loop(set, 10s);
  };
  REQUIRE(run_fifo(body).passed());
  REQUIRE(run_unfair(body).passed());
}

TEST_CASE("snooze: a driver's own bound replaces the default", "[snooze]") {
  auto result = run_fifo([]() -> Task<void> {
    corosim::PolledSet<int> set;
    set.driver().set_snooze_limit(100ms);
    fill(set);
    co_await slow_loop(set, 500ms);
  });
  REQUIRE(checker_of(result) == "snooze");
  REQUIRE(message_of(result).find("not been polled for 100ms") != std::string::npos);
  REQUIRE(result.time_ns == 102'000'000);
}

TEST_CASE("snooze: the step bound counts only steps while the owner is blocked elsewhere", "[snooze]") {
  corosim::SimOptions options;
  options.snooze_max_steps = 500;
  // A member that started and then waits for a neighbour's signal; the
  // owner takes another member's value and then blocks on an event the
  // neighbour sets after 2,000 yields. No virtual time passes, but the
  // signalled member stays held.
  auto program = [](bool owner_blocks) {
    return [owner_blocks]() -> Task<void> {
      corosim::PolledSet<int> set;
      corosim::Event first_go;
      corosim::Event early;
      corosim::Event late;
      set.push(wait_then(first_go, 1));
      set.push(wait_then(early, 2));
      auto busy = corosim::spawn([&first_go, &early, &late]() -> Task<void> {
        for (int i = 0; i < 5; ++i) co_await corosim::yield_now();
        first_go.set();
        for (int i = 0; i < 5; ++i) co_await corosim::yield_now();
        early.set();
        for (int i = 0; i < 2000; ++i) co_await corosim::yield_now();
        late.set();
      });
      std::optional<int> first = co_await set.next();
      CORO_CHECK(first.has_value());
      if (owner_blocks) {
        co_await late.wait();
      } else {
        // Ready the whole time, yielding: the neighbour's steps are
        // scheduling, not structure, even when the scheduler is unfair.
        for (int i = 0; i < 3000; ++i) co_await corosim::yield_now();
      }
      std::optional<int> second = co_await set.next();
      CORO_CHECK(second.has_value());
      co_await busy;
    };
  };
  auto result = run_fifo(program(true), options);
  REQUIRE(checker_of(result) == "snooze");
  INFO(message_of(result));
  REQUIRE(message_of(result).find("500 steps") != std::string::npos);
  REQUIRE(message_of(result).find("event.wait") != std::string::npos);
  REQUIRE(run_fifo(program(false), options).passed());
  auto unfair = run_unfair(program(false), options);
  INFO(message_of(unfair));
  REQUIRE(unfair.passed());
}

TEST_CASE("hogging: a loop whose awaits all complete at once is reported at its await", "[hogging]") {
  corosim::SimOptions options;
  options.hog_max_awaits = 1000;
  const int loop_line = __LINE__ + 5;
  auto result = run_fifo(
      []() -> Task<void> {
        corosim::Event open;
        open.set();
        for (int i = 0; i < 5000; ++i) co_await open.wait();
      },
      options);
  REQUIRE(checker_of(result) == "hogging");
  REQUIRE(result.failure->location.line() == static_cast<std::uint32_t>(loop_line));
  REQUIRE(message_of(result).find("1001 operations in one resumption") != std::string::npos);
}

TEST_CASE("hogging: draining a set of finished members without yielding is hogging", "[hogging]") {
  corosim::SimOptions options;
  options.hog_max_awaits = 100;
  auto drain = [](bool yield_between) {
    return [yield_between]() -> Task<void> {
      corosim::PolledSet<int> set(corosim::Polling::spawned);
      for (int i = 0; i < 300; ++i) set.push(after(0ms, i));
      co_await corosim::sleep_for(1ms);  // every member has finished
      int taken = 0;
      while (std::optional<int> value = co_await set.next()) {
        if (yield_between && ++taken % 50 == 0) co_await corosim::yield_now();
      }
    };
  };
  REQUIRE(checker_of(run_fifo(drain(false), options)) == "hogging");
  REQUIRE(run_fifo(drain(true), options).passed());
  // Forced suspensions are the simulator's, not the program's: they do not
  // hide a hog, however many the strategy makes.
  REQUIRE(checker_of(run_unfair(drain(false), options)) == "hogging");
}

TEST_CASE("futurelock: the owner waits on a lock that its un-polled borrowed future holds",
          "[futurelock][deadlock]") {
  auto take = [](corosim::Mutex& lock) -> Task<void> { auto guard = co_await lock.lock(); };
  auto scenario = [&take](corosim::Polling polling) {
    return [&take, polling]() -> Task<void> {
      corosim::Mutex lock;
      auto guard = co_await lock.lock();
      corosim::Pollable<void> borrowed(take(lock), polling);
      auto first = co_await corosim::select(borrowed, after(1ms, 0));  // borrowed queues
      CORO_CHECK(first.index() == 1);
      guard.unlock();  // handed to the borrowed future
      auto again = co_await lock.lock();
      again.unlock();
      co_await borrowed;
    };
  };
  auto stuck = run_fifo(scenario(corosim::Polling::driven));
  REQUIRE(checker_of(stuck) == "futurelock");
  const std::string message = message_of(stuck);
  INFO(message);
  REQUIRE(
      message.find(
          "cycle: fiber 0 -> mutex#0 -> fiber 1 -> (ready, but polled only by its owner through pollable#") !=
      std::string::npos);
  REQUIRE(run_fifo(scenario(corosim::Polling::spawned)).passed());
  REQUIRE(run_unfair(scenario(corosim::Polling::spawned)).passed());
}

TEST_CASE("a plain lock-order cycle is still a deadlock and not a futurelock", "[futurelock][deadlock]") {
  auto result = run_fifo([]() -> Task<void> {
    corosim::Mutex a;
    corosim::Mutex b;
    auto first = co_await a.lock();
    auto other = corosim::spawn([&]() -> Task<void> {
      auto hold_b = co_await b.lock();
      co_await corosim::yield_now();
      auto then_a = co_await a.lock();
    });
    co_await corosim::yield_now();
    auto then_b = co_await b.lock();
    co_await other;
  });
  REQUIRE(checker_of(result) == "deadlock");
}
