// select, join_all, timeout, sleep and yield.
#include "corosim/runtime/select.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::DropFlag;
using corosim::testing::run_fifo;
using namespace std::chrono_literals;

namespace {

Task<int> after(corosim::Duration delay, int value, bool* dropped = nullptr) {
  bool ignored = false;
  DropFlag flag(dropped != nullptr ? dropped : &ignored);
  co_await corosim::sleep_for(delay);
  co_return value;
}

}  // namespace

TEST_CASE("select returns the first arm and drains the losers before returning", "[select]") {
  bool slow_dropped = false;
  auto result = run_fifo([&]() -> Task<void> {
    auto winner = co_await corosim::select(after(30ms, 1, &slow_dropped), after(10ms, 2),
                                           []() -> Task<void> { co_await corosim::sleep_for(20ms); }());
    CORO_CHECK(winner.index() == 1);
    CORO_CHECK(std::get<1>(winner) == 2);
    CORO_CHECK(slow_dropped);
    CORO_CHECK(corosim::now() == 10ms);
  });
  REQUIRE(result.passed());
}

TEST_CASE("select rethrows the winner's exception after draining", "[select]") {
  bool loser_dropped = false;
  std::string caught;
  auto result = run_fifo([&]() -> Task<void> {
    auto failing = []() -> Task<int> {
      co_await corosim::sleep_for(1ms);
      throw std::runtime_error("arm failed");
    };
    try {
      co_await corosim::select(failing(), after(1s, 0, &loser_dropped));
    } catch (const std::runtime_error& e) {
      caught = e.what();
      CORO_CHECK(loser_dropped);
    }
  });
  REQUIRE(result.passed());
  REQUIRE(caught == "arm failed");
}

TEST_CASE("dropping a select drops all of its arms", "[select][drop]") {
  bool a = false;
  bool b = false;
  auto result = run_fifo([&]() -> Task<void> {
    auto racer = corosim::spawn(corosim::select(after(1s, 1, &a), after(2s, 2, &b)));
    co_await corosim::sleep_for(1ms);
    racer.cancel();
    CORO_CHECK(a && b);
  });
  REQUIRE(result.passed());
}

TEST_CASE("join_all returns every value in order", "[join_all]") {
  std::vector<int> values;
  auto result = run_fifo([&]() -> Task<void> {
    std::vector<Task<int>> tasks;
    tasks.push_back(after(30ms, 1));
    tasks.push_back(after(10ms, 2));
    tasks.push_back(after(20ms, 3));
    values = co_await corosim::join_all(std::move(tasks));
    CORO_CHECK(corosim::now() == 30ms);
  });
  REQUIRE(result.passed());
  REQUIRE(values == std::vector<int>{1, 2, 3});
}

TEST_CASE("join_all rethrows the first failure when it happens and drops the members before it",
          "[join_all]") {
  std::string caught;
  bool waiter_dropped = false;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Event never;
    // The first member waits for what the second would have done: awaited in
    // order, the failure would never be seen (a deadlock).
    auto waiter = [](corosim::Event& event, bool& dropped) -> Task<int> {
      DropFlag on_drop(&dropped);
      co_await event.wait();
      co_return 1;
    };
    auto failer = []() -> Task<int> {
      co_await corosim::sleep_for(2ms);
      throw std::runtime_error("second member failed");
    };
    std::vector<Task<int>> tasks;
    tasks.push_back(waiter(never, waiter_dropped));
    tasks.push_back(failer());
    try {
      co_await corosim::join_all(std::move(tasks));
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    CORO_CHECK(corosim::now() == 2ms);
  });
  INFO(corosim::testing::message_of(result));
  REQUIRE(result.passed());
  REQUIRE(caught == "second member failed");
  REQUIRE(waiter_dropped);
}

TEST_CASE("timeout drops the operation when the deadline comes first", "[timeout]") {
  bool dropped = false;
  auto result = run_fifo([&]() -> Task<void> {
    auto late = co_await corosim::timeout(5ms, after(50ms, 1, &dropped));
    CORO_CHECK(!late.has_value());
    CORO_CHECK(dropped);
    CORO_CHECK(corosim::now() == 5ms);
    auto early = co_await corosim::timeout(50ms, after(5ms, 7));
    CORO_CHECK(early == 7);
    bool finished = co_await corosim::timeout(1ms, []() -> Task<void> { co_return; }());
    CORO_CHECK(finished);
  });
  REQUIRE(result.passed());
}

TEST_CASE("virtual time jumps to the next timer when nothing is ready", "[time]") {
  std::vector<int> order;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::TaskScope scope;
    for (int ms : {300, 100, 200}) {
      scope.spawn([&order, ms]() -> Task<void> {
        co_await corosim::sleep_for(std::chrono::milliseconds(ms));
        order.push_back(ms);
      });
    }
    co_await scope.join();
    CORO_CHECK(corosim::now() == 300ms);
    co_await corosim::sleep_until(100ms);  // already past: does not park
    CORO_CHECK(corosim::now() == 300ms);
  });
  REQUIRE(result.passed());
  REQUIRE(order == std::vector<int>{100, 200, 300});
  REQUIRE(result.time_ns == 300'000'000);
}

TEST_CASE("yield_now round-robins ready fibers under fifo", "[time]") {
  std::string order;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::TaskScope scope;
    for (char name : {'a', 'b', 'c'}) {
      scope.spawn([&order, name]() -> Task<void> {
        for (int i = 0; i < 3; ++i) {
          order += name;
          co_await corosim::yield_now();
        }
      });
    }
    co_await scope.join();
  });
  REQUIRE(result.passed());
  REQUIRE(order == "abcabcabc");
}
