// The real-time event loop runs the same code as the simulator.
#include "corosim/runtime/event_loop.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>

#include "corosim/runtime/corosim.h"

using corosim::Task;
using namespace std::chrono_literals;

namespace {

Task<int> pipeline_sum() {
  auto [tx, rx] = corosim::channel<int>(2);
  auto producer = corosim::spawn(
      [](corosim::Sender<int> out) -> Task<void> {
        for (int i = 1; i <= 10; ++i) co_await out.send(i);
      },
      std::move(tx));
  int sum = 0;
  while (auto item = co_await rx.recv()) sum += *item;
  co_await producer;
  co_return sum;
}

}  // namespace

TEST_CASE("run_realtime runs a program to completion and returns its value", "[event_loop]") {
  REQUIRE(corosim::run_realtime(pipeline_sum()) == 55);
}

TEST_CASE("the event loop sleeps in real time", "[event_loop]") {
  const auto start = std::chrono::steady_clock::now();
  auto slept = corosim::run_realtime([]() -> Task<corosim::Duration> {
    co_await corosim::sleep_for(20ms);
    co_return corosim::now();
  }());
  REQUIRE(slept >= 20ms);
  REQUIRE(std::chrono::steady_clock::now() - start >= 20ms);
}

TEST_CASE("the event loop rethrows main's exception and reports deadlock", "[event_loop]") {
  REQUIRE_THROWS_WITH(corosim::run_realtime([]() -> Task<int> {
                        co_await corosim::yield_now();
                        throw std::runtime_error("boom");
                      }()),
                      "boom");
  REQUIRE_THROWS_WITH(corosim::run_realtime([]() -> Task<void> {
                        corosim::Event never;
                        co_await never.wait();
                      }()),
                      Catch::Contains("deadlock"));
}
