// The cancel-liveness checker: a fiber asked to stop must finish within the
// bound, and the report names what it waits on.
#include <catch2/catch.hpp>
#include <stop_token>
#include <string>

#include "corosim/runtime/corosim.h"
#include "corosim/sim/simulator.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using namespace std::chrono_literals;

namespace {

Task<void> wait_forever(corosim::Event& never) { co_await never.wait(); }

Task<void> sleep_an_hour() { co_await corosim::sleep_for(1h); }

// Wakes its wait from a stop callback: honours the request at once.
Task<void> wait_until_stopped(corosim::Event& wake) {
  std::stop_callback on_stop(co_await corosim::this_stop_token(), [&] { wake.set(); });
  co_await wake.wait();
}

}  // namespace

TEST_CASE(
    "a fiber that ignores a stop request on an event that never comes is reported and not as a deadlock",
    "[liveness]") {
  const corosim::RunResult run = run_fifo([]() -> Task<void> {
    corosim::Event never;
    auto worker = corosim::spawn(wait_forever(never));
    co_await corosim::sleep_for(3ms);
    worker.request_stop();
    co_await worker;
  });
  REQUIRE(checker_of(run) == "cancel-liveness");
  const std::string message = message_of(run);
  CHECK_THAT(message,
             Catch::Contains("fiber 1 was asked to stop at t=3 ms (at tests/sim/stop_liveness_test.cpp:"));
  CHECK_THAT(message, Catch::Contains("has not finished within 10 s"));
  CHECK_THAT(message, Catch::Contains("in event.wait on event#0"));
  CHECK_THAT(message, Catch::Contains("nothing will ever wake it"));
  CHECK_THAT(run.failure->location.str(), Catch::StartsWith("tests/sim/stop_liveness_test.cpp:"));
}

TEST_CASE("a fiber that ignores a stop request on a long timer is reported when the bound passes",
          "[liveness]") {
  auto body = [](auto request) {
    return [request]() -> Task<void> {
      auto worker = corosim::spawn(sleep_an_hour());
      co_await corosim::sleep_for(5ms);
      request(worker);
      co_await worker;
    };
  };
  const corosim::RunResult run =
      run_fifo(body([](corosim::JoinHandle<void>& worker) { worker.request_stop(); }));
  REQUIRE(checker_of(run) == "cancel-liveness");
  CHECK(run.failure->time_ns == 5'000'000 + 10'000'000'000);  // at the deadline, not an hour later
  CHECK_THAT(message_of(run), Catch::Contains("its timer is due at t=1 h, 3599.995 s after the request"));
  CHECK_THAT(message_of(run), Catch::Contains("in sleep"));

  // A request that allows two hours: the hour's sleep is within it.
  CHECK(run_fifo(body([](corosim::JoinHandle<void>& worker) { worker.request_stop(2h); })).passed());
  // The bound is the run's option; zero turns the checker off.
  corosim::SimOptions options;
  options.stop_max_ns = 3'600'000'000'000;  // one hour: the sleep ends 5 ms short of it
  CHECK(run_fifo(body([](corosim::JoinHandle<void>& worker) { worker.request_stop(); }), options).passed());
  options.stop_max_ns = 0;
  CHECK(run_fifo(body([](corosim::JoinHandle<void>& worker) { worker.request_stop(); }), options).passed());
  options.stop_max_ns = 60'000'000'000;
  CHECK(checker_of(run_fifo(body([](corosim::JoinHandle<void>& worker) { worker.request_stop(); }),
                            options)) == "cancel-liveness");
}

TEST_CASE("a fiber that honours a stop request or has finished passes", "[liveness]") {
  const corosim::RunResult run = run_fifo([]() -> Task<void> {
    corosim::Event wake;
    auto worker = corosim::spawn(wait_until_stopped(wake));
    co_await corosim::sleep_for(1ms);
    worker.request_stop();
    co_await worker;
    auto quick = corosim::spawn([]() -> Task<void> { co_return; });
    co_await corosim::sleep_for(1ms);
    quick.request_stop();  // already finished: nothing to watch
    co_await quick;
    co_await corosim::sleep_for(1h);  // time passes well beyond both bounds
  });
  CHECK(run.passed());
}

TEST_CASE("with the checker off the ignored stop on an event is the deadlock it always was", "[liveness]") {
  corosim::SimOptions options;
  options.stop_max_ns = 0;
  const corosim::RunResult run = run_fifo(
      []() -> Task<void> {
        corosim::Event never;
        auto worker = corosim::spawn(wait_forever(never));
        co_await corosim::sleep_for(1ms);
        worker.request_stop();
        co_await worker;
      },
      options);
  CHECK(checker_of(run) == "deadlock");
}
