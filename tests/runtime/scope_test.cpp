#include "corosim/runtime/scope.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::DropFlag;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using namespace std::chrono_literals;

TEST_CASE("TaskScope::join returns after every child finished", "[scope]") {
  int finished = 0;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::TaskScope scope;
    for (int i = 1; i <= 3; ++i) {
      scope.spawn([&finished, i]() -> Task<void> {
        co_await corosim::sleep_for(std::chrono::milliseconds(i * 10));
        ++finished;
      });
    }
    CORO_CHECK(scope.live() == 3);
    co_await scope.join();
    CORO_CHECK(finished == 3);
    CORO_CHECK(corosim::now() == 30ms);
  });
  REQUIRE(result.passed());
}

TEST_CASE("a child's exception drops its siblings and is rethrown by join", "[scope]") {
  bool sibling_dropped = false;
  std::string caught;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::TaskScope scope;
    scope.spawn([&]() -> Task<void> {
      DropFlag flag(&sibling_dropped);
      co_await corosim::sleep_for(1s);
    });
    scope.spawn([]() -> Task<void> {
      co_await corosim::sleep_for(1ms);
      throw std::runtime_error("child broke");
    });
    try {
      co_await scope.join();
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    CORO_CHECK(corosim::now() == 1ms);
  });
  REQUIRE(result.passed());
  REQUIRE(sibling_dropped);
  REQUIRE(caught == "child broke");
}

TEST_CASE("cancelling a scope drops its children", "[scope]") {
  bool dropped = false;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::TaskScope scope;
    scope.spawn([&]() -> Task<void> {
      DropFlag flag(&dropped);
      co_await corosim::sleep_for(1s);
    });
    co_await corosim::yield_now();
    scope.cancel();
    CORO_CHECK(dropped);
    CORO_CHECK(scope.live() == 0);
    co_await scope.join();  // nothing left: does not park
  });
  REQUIRE(result.passed());
}

TEST_CASE("destroying a scope un-joined drops its children and is reported as unjoined-scope",
          "[scope][structure]") {
  bool dropped = false;
  int scope_line = 0;
  auto result = run_fifo([&]() -> Task<void> {
    {
      scope_line = __LINE__ + 1;
      corosim::TaskScope scope;
      scope.spawn([&]() -> Task<void> {
        DropFlag flag(&dropped);
        co_await corosim::sleep_for(1s);
      });
      co_await corosim::yield_now();
    }
    CORO_CHECK(dropped);
  });
  REQUIRE(checker_of(result) == "unjoined-scope");
  REQUIRE(result.failure->location.line() == static_cast<std::uint32_t>(scope_line));
  REQUIRE(message_of(result).find("1 child(ren) still running") != std::string::npos);
  REQUIRE(dropped);
}

TEST_CASE("a scope whose child threw is unjoined-scope if destroyed without join", "[scope][structure]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::TaskScope scope;
    scope.spawn([]() -> Task<void> {
      co_await corosim::yield_now();
      throw std::runtime_error("lost");
    });
    co_await corosim::sleep_for(1ms);
  });
  REQUIRE(checker_of(result) == "unjoined-scope");
  REQUIRE(message_of(result).find("std::runtime_error(\"lost\")") != std::string::npos);
}

TEST_CASE("a scope destroyed by an exception or by its owner's cancellation is not unjoined-scope",
          "[scope][structure]") {
  auto thrown = run_fifo([&]() -> Task<void> {
    try {
      corosim::TaskScope scope;
      scope.spawn([]() -> Task<void> { co_await corosim::sleep_for(1s); });
      co_await corosim::yield_now();
      throw std::runtime_error("bail out");
    } catch (const std::runtime_error&) {
    }
  });
  REQUIRE(thrown.passed());
  auto cancelled = run_fifo([&]() -> Task<void> {
    auto owner = corosim::spawn([]() -> Task<void> {
      corosim::TaskScope scope;
      scope.spawn([]() -> Task<void> { co_await corosim::sleep_for(1s); });
      co_await scope.join();
    });
    co_await corosim::sleep_for(1ms);
    owner.cancel();
  });
  REQUIRE(cancelled.passed());
}

TEST_CASE("dropping the fiber that owns a scope drops the scope's children", "[scope][drop]") {
  bool grandchild_dropped = false;
  auto result = run_fifo([&]() -> Task<void> {
    auto owner = corosim::spawn([&]() -> Task<void> {
      corosim::TaskScope scope;
      scope.spawn([&]() -> Task<void> {
        DropFlag flag(&grandchild_dropped);
        co_await corosim::sleep_for(1s);
      });
      co_await scope.join();
    });
    co_await corosim::sleep_for(1ms);
    owner.cancel();
    CORO_CHECK(grandchild_dropped);
  });
  REQUIRE(result.passed());
  REQUIRE(grandchild_dropped);
}
