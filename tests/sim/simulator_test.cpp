#include "corosim/sim/simulator.h"

#include <catch2/catch.hpp>
#include <coroutine>
#include <set>
#include <utility>
#include <stdexcept>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/sim/strategy/replay.h"
#include "tests/common/sim_helpers.h"

using corosim::DecisionKind;
using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

namespace {

// Two fibers take two mutexes in opposite order with a yield in between: under
// fifo this always deadlocks.
Task<void> opposite_locks() {
  corosim::Mutex a;
  corosim::Mutex b;
  auto first = corosim::spawn([&]() -> Task<void> {
    auto ga = co_await a.lock();
    co_await corosim::yield_now();
    auto gb = co_await b.lock();
  });
  auto second = corosim::spawn([&]() -> Task<void> {
    auto gb = co_await b.lock();
    co_await corosim::yield_now();
    auto ga = co_await a.lock();
  });
  co_await first;
  co_await second;
}

Task<void> racy_counter() {
  int counter = 0;
  corosim::TaskScope scope;
  for (int i = 0; i < 3; ++i) {
    scope.spawn([&]() -> Task<void> {
      int seen = counter;
      co_await corosim::sleep_for(std::chrono::microseconds(corosim::random(3)));
      counter = seen + 1;
    });
  }
  co_await scope.join();
  CORO_CHECK(counter == 3);
}

// Three fibers that sleep until the same deadline, then record their index.
Task<void> three_sleepers(std::vector<int>& order) {
  corosim::TaskScope scope;
  for (int i = 0; i < 3; ++i) {
    scope.spawn([&order, i]() -> Task<void> {
      co_await corosim::sleep_for(5ms);
      order.push_back(i);
    });
  }
  co_await scope.join();
}

}  // namespace

TEST_CASE("deadlock report names every blocked fiber with the holder and the cycle", "[sim][deadlock]") {
  auto result = run_fifo(opposite_locks);
  REQUIRE(checker_of(result) == "deadlock");
  const std::string& message = result.failure->message;
  INFO(message);
  CHECK_THAT(message, Catch::Contains("fiber 0 (main) waits at tests/sim/simulator_test.cpp"));
  CHECK_THAT(message, Catch::Contains("fiber 1 (spawned at tests/sim/simulator_test.cpp"));
  CHECK_THAT(message, Catch::Contains("fiber 2 (spawned at tests/sim/simulator_test.cpp"));
  CHECK_THAT(message, Catch::Contains("in mutex.lock on mutex#1, held by fiber 2"));
  CHECK_THAT(message, Catch::Contains("in mutex.lock on mutex#0, held by fiber 1"));
  CHECK_THAT(message, Catch::Contains("cycle: fiber 1 -> mutex#1 -> fiber 2 -> mutex#0 -> fiber 1"));
  CHECK(std::string(result.failure->location.base_name()) == "simulator_test.cpp");
}

TEST_CASE("the same seed gives the same decisions and trace hash", "[sim][determinism]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    auto first = run_random(racy_counter, seed);
    auto second = run_random(racy_counter, seed);
    REQUIRE(first.trace_hash == second.trace_hash);
    REQUIRE(first.decisions == second.decisions);
    REQUIRE(checker_of(first) == checker_of(second));
  }
}

TEST_CASE("different seeds explore different schedules", "[sim][determinism]") {
  std::set<std::uint64_t> hashes;
  int failures = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    auto result = run_random(racy_counter, seed);
    hashes.insert(result.trace_hash);
    failures += result.passed() ? 0 : 1;
  }
  REQUIRE(hashes.size() > 10);
  REQUIRE(failures > 0);    // the race is found
  REQUIRE(failures < 200);  // and not on every schedule
}

TEST_CASE("only real choices are recorded and each is in range", "[sim][decisions]") {
  auto result = run_random(racy_counter, 3);
  REQUIRE_FALSE(result.decisions.empty());
  for (const auto& decision : result.decisions) {
    REQUIRE(decision.n >= 2);
    REQUIRE(decision.value < decision.n);
  }
  // A program with one fiber and no randomness makes no decisions at all.
  auto lone = run_random(
      []() -> Task<void> {
        co_await corosim::yield_now();
        co_await corosim::sleep_for(1ms);
      },
      3);
  REQUIRE(lone.passed());
  REQUIRE(lone.decisions.empty());
}

// The run's decision log packs a decision into one word when its n fits in
// 30 bits and keeps wider ones aside: both come back as made, in order.
std::vector<std::uint64_t> drawn;
Task<void> draws_of_every_width() {
  for (const std::uint64_t bound : {std::uint64_t{6}, std::uint64_t{1} << 30, std::uint64_t{3},
                                    ~std::uint64_t{0}, (std::uint64_t{1} << 30) - 1}) {
    drawn.push_back(corosim::random(bound));
  }
  co_return;
}

TEST_CASE("decisions of any width are recorded as made and replay", "[sim][decisions]") {
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    drawn.clear();
    const auto result = run_random(draws_of_every_width, seed);
    REQUIRE(result.passed());
    REQUIRE(result.decisions.size() == 5);
    const std::vector<std::uint64_t> bounds{6, std::uint64_t{1} << 30, 3, ~std::uint64_t{0},
                                            (std::uint64_t{1} << 30) - 1};
    for (std::size_t i = 0; i < 5; ++i) {
      CHECK(result.decisions[i].kind == corosim::DecisionKind::random);
      CHECK(result.decisions[i].n == bounds[i]);
      CHECK(result.decisions[i].value == drawn[i]);
    }
    const std::vector<std::uint64_t> first = drawn;
    drawn.clear();
    corosim::ReplayStrategy replay(result.decisions, corosim::ReplayStrategy::Mode::halt);
    corosim::Simulator simulator(replay);
    REQUIRE(simulator.run(draws_of_every_width, seed).passed());
    CHECK(drawn == first);
  }
}

TEST_CASE("timers with equal deadlines fire in an order the strategy decides", "[sim][time]") {
  auto body = []() -> Task<void> {
    std::vector<int> order;
    co_await three_sleepers(order);
    // Every fiber still wakes at exactly 5ms.
    CORO_CHECK(corosim::now() == 5ms);
  };
  std::set<std::uint64_t> hashes;
  bool saw_tie = false;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    auto result = run_random(body, seed);
    REQUIRE(result.passed());
    hashes.insert(result.trace_hash);
    for (const auto& decision : result.decisions) {
      if (decision.kind == DecisionKind::timer_tie) {
        saw_tie = true;
        REQUIRE(decision.n >= 2);
      }
    }
  }
  REQUIRE(saw_tie);
  REQUIRE(hashes.size() > 1);
  // fifo fires equal timers in arming order.
  std::vector<int> order;
  auto fifo = run_fifo([&]() -> Task<void> { co_await three_sleepers(order); });
  REQUIRE(fifo.passed());
  REQUIRE(order == std::vector<int>{0, 1, 2});
}

TEST_CASE("a fiber alive when main returns is a leak named with where it waits", "[sim][leak]") {
  auto result = run_fifo([]() -> Task<void> {
    corosim::spawn([]() -> Task<void> { co_await corosim::sleep_for(1h); }).detach();
    co_await corosim::yield_now();
  });
  REQUIRE(checker_of(result) == "leak");
  REQUIRE_THAT(message_of(result), Catch::Contains("fiber 1 (spawned at tests/sim/simulator_test.cpp"));
  REQUIRE_THAT(message_of(result), Catch::Contains("in sleep"));
}

TEST_CASE("a coroutine frame left alive after the run is a leak", "[sim][leak]") {
  static std::optional<Task<void>> stash;
  auto result = run_fifo([]() -> Task<void> {
    stash.emplace([]() -> Task<void> { co_return; }());
    co_return;
  });
  stash.reset();
  REQUIRE(checker_of(result) == "leak");
  REQUIRE_THAT(message_of(result), Catch::Contains("1 coroutine frame(s) still alive"));
}

TEST_CASE("exceptions nobody observes are reported", "[sim][exception]") {
  auto main_throws = run_fifo([]() -> Task<void> {
    co_await corosim::yield_now();
    throw std::runtime_error("main failed");
  });
  REQUIRE(checker_of(main_throws) == "escaped-exception");
  REQUIRE_THAT(message_of(main_throws), Catch::Contains("std::runtime_error(\"main failed\")"));

  auto handle_dropped = run_fifo([]() -> Task<void> {
    {
      auto child = corosim::spawn([]() -> Task<void> {
        throw std::invalid_argument("never seen");
        co_return;
      });
      co_await corosim::sleep_for(1ms);
    }  // destroyed without being awaited
  });
  REQUIRE(checker_of(handle_dropped) == "escaped-exception");
  REQUIRE_THAT(message_of(handle_dropped), Catch::Contains("never seen"));

  auto awaited = run_fifo([]() -> Task<void> {
    auto child = corosim::spawn([]() -> Task<void> {
      throw std::invalid_argument("seen");
      co_return;
    });
    try {
      co_await child;
    } catch (const std::invalid_argument&) {
    }
  });
  REQUIRE(awaited.passed());
}

TEST_CASE("CORO_CHECK fails the run with its file:line and message", "[sim][check]") {
  const int line = __LINE__ + 3;
  auto result = run_fifo([]() -> Task<void> {
    co_await corosim::yield_now();
    CORO_CHECK_MSG(1 + 1 == 3, "arithmetic");
  });
  REQUIRE(checker_of(result) == "check");
  REQUIRE(result.failure->location.line() == static_cast<std::uint32_t>(line));
  REQUIRE(message_of(result) == "CORO_CHECK(1 + 1 == 3) failed: arithmetic");
}

TEST_CASE("crossing the step or virtual-time budget is a reported failure", "[sim][budget]") {
  corosim::SimOptions few_steps;
  few_steps.steps_max = 100;
  auto spin = run_fifo(
      []() -> Task<void> {
        for (;;) co_await corosim::yield_now();
      },
      few_steps);
  REQUIRE(checker_of(spin) == "budget");
  REQUIRE_THAT(message_of(spin), Catch::Contains("step budget of 100"));
  REQUIRE(spin.steps == 100);

  corosim::SimOptions short_time;
  short_time.time_max_ns = 1'000'000'000;
  auto sleeper = run_fifo([]() -> Task<void> { co_await corosim::sleep_for(2s); }, short_time);
  REQUIRE(checker_of(sleeper) == "budget");
  REQUIRE_THAT(message_of(sleeper),
               Catch::Contains("virtual time budget of 1s (1000000000ns) exceeded: the next timer is due at "
                               "2s; 1 fiber(s) waiting:\n  fiber 0 (main) waits at "));
  // Where the first waiting fiber waits, not "?".
  REQUIRE_THAT(sleeper.failure->location.str(), Catch::Contains("simulator_test.cpp"));
}

TEST_CASE("a simulator runs many runs without leaking frames or fibers", "[sim]") {
  corosim::RandomStrategy strategy;
  corosim::Simulator simulator(strategy);
  const auto frames_before = corosim::detail::frames_live();
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    simulator.run(opposite_locks, seed);
    simulator.run(racy_counter, seed);
  }
  REQUIRE(corosim::detail::frames_live() == frames_before);
}

TEST_CASE("corosim::random draws are decisions replayed by the seed", "[sim][decisions]") {
  std::vector<std::uint64_t> first;
  std::vector<std::uint64_t> second;
  auto draw = [](std::vector<std::uint64_t>* out) {
    return [out]() -> Task<void> {
      for (int i = 0; i < 10; ++i) out->push_back(corosim::random(1000));
      co_return;
    };
  };
  REQUIRE(run_random(draw(&first), 11).passed());
  REQUIRE(run_random(draw(&second), 11).passed());
  REQUIRE(first == second);
  std::set<std::uint64_t> distinct(first.begin(), first.end());
  REQUIRE(distinct.size() > 5);
}

namespace {

// A coroutine type that is not a corosim Task: awaiting it transfers into it,
// and it suspends on its own promise, outside the hook. Nothing will resume it.
struct Foreign {
  struct promise_type {
    Foreign get_return_object() { return Foreign{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() {}
  };
  std::coroutine_handle<promise_type> handle;
  explicit Foreign(std::coroutine_handle<promise_type> h) : handle(h) {}
  Foreign(Foreign&& other) noexcept : handle(std::exchange(other.handle, {})) {}
  ~Foreign() {
    if (handle) handle.destroy();
  }
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<>) { return handle; }
  void await_resume() const noexcept {}
};

Foreign foreign_body() { co_await std::suspend_always{}; }

Task<int> forty_two() {
  co_await corosim::yield_now();
  co_return 42;
}

}  // namespace

TEST_CASE("a fiber that suspends outside the hook is reported and does not hang", "[sim][stray]") {
  auto result = run_fifo([]() -> Task<void> {
    Foreign foreign = foreign_body();
    co_await foreign;
  });
  REQUIRE(checker_of(result) == "stray-suspend");
  REQUIRE_THAT(message_of(result), Catch::Contains("fiber 0 returned to the scheduler"));
}

TEST_CASE("CORO_CHECK may await a Task in its condition (g++ 12 workaround)", "[sim][check]") {
  auto passing = run_fifo([]() -> Task<void> { CORO_CHECK(co_await forty_two() == 42); });
  REQUIRE(passing.passed());
  auto failing = run_fifo([]() -> Task<void> { CORO_CHECK(co_await forty_two() == 41); });
  REQUIRE(checker_of(failing) == "check");
}
