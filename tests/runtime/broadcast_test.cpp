// Broadcast: every receiver sees every value; a slow one is told how many it
// missed.
#include "corosim/runtime/broadcast.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/cancel_table.h"
#include "tests/common/sim_helpers.h"
#include "tests/common/sweep.h"

using corosim::Broadcast;
using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

namespace {

// What a receiver read: values, "lag N" for a lag report, "end" for close.
Task<void> read_all(Broadcast<int>::Receiver rx, std::vector<std::string>& out) {
  for (;;) {
    auto got = co_await rx.recv();
    if (got.closed()) break;
    out.push_back(got.value ? std::to_string(*got.value) : "lag " + std::to_string(got.missed));
  }
  out.push_back("end");
}

}  // namespace

TEST_CASE("every Broadcast receiver sees every value sent after it subscribed", "[broadcast]") {
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    std::vector<std::string> early;
    std::vector<std::string> late;
    auto result = run_random(
        [&]() -> Task<void> {
          Broadcast<int> events(8);
          CORO_CHECK(events.send(0) == 0);  // nobody listens: dropped
          corosim::TaskScope readers;
          readers.spawn(read_all, events.subscribe(), std::ref(early));
          events.send(1);
          readers.spawn(read_all, events.subscribe(), std::ref(late));
          CORO_CHECK(events.receiver_count() == 2);
          co_await corosim::yield_now();
          CORO_CHECK(events.send(2) == 2);
          co_await corosim::yield_now();
          events.send(3);
          events.close();
          co_await readers.join();
        },
        seed);
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(result.passed());
    REQUIRE(early == std::vector<std::string>{"1", "2", "3", "end"});
    REQUIRE(late == std::vector<std::string>{"2", "3", "end"});
  }
}

TEST_CASE("a Broadcast receiver that falls behind the ring is told how many it missed", "[broadcast]") {
  std::vector<std::string> seen;
  std::uint64_t pending_before = 0;
  auto result = run_fifo([&]() -> Task<void> {
    Broadcast<int> events(2);
    auto rx = events.subscribe();
    for (int i = 1; i <= 5; ++i) events.send(i);  // 1, 2, 3 are dropped from the ring
    pending_before = rx.pending();
    events.close();
    co_await read_all(std::move(rx), seen);
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  CHECK(pending_before == 5);
  REQUIRE(seen == std::vector<std::string>{"lag 3", "4", "5", "end"});
}

TEST_CASE("a send on a closed Broadcast is a usage error", "[broadcast]") {
  auto result = run_fifo([&]() -> Task<void> {
    Broadcast<int> events(1);
    auto rx = events.subscribe();
    events.close();
    events.send(1);
    co_return;
  });
  REQUIRE(checker_of(result) == "escaped-exception");
  REQUIRE_THAT(message_of(result),
               Catch::Contains("send on broadcast#0") && Catch::Contains("after close()"));
}

TEST_CASE("a receiver waiting on a Broadcast nobody sends on is a deadlock naming it",
          "[broadcast][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    Broadcast<int> events(4);
    auto rx = events.subscribe();
    co_await rx.recv();
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result), Catch::Contains("broadcast.recv on broadcast#0"));
}

namespace {
// Two readers behind a small ring, both cancellable: every delivery is
// accounted for whichever point either is cancelled at.
Task<void> lagging_readers() {
  Broadcast<int> events(2);
  auto reader = [&events]() -> Task<void> {
    auto rx = events.subscribe();
    for (;;) {
      auto got = co_await rx.recv();
      if (got.closed()) break;
      if (got.value && *got.value % 2 == 0) co_await corosim::sleep_for(1ms);  // falls behind
    }
  };
  auto a = corosim::spawn(reader).externally_cancellable();
  auto b = corosim::spawn(reader).externally_cancellable();
  co_await corosim::yield_now();
  for (int i = 1; i <= 6; ++i) {
    events.send(i);
    if (i % 3 == 0) co_await corosim::sleep_for(1ms);
  }
  events.close();
  co_await corosim::sleep_for(5ms);
  CORO_CHECK(a.is_finished() && b.is_finished());
}

struct BroadcastState {
  std::shared_ptr<Broadcast<int>> events = std::make_shared<Broadcast<int>>(4);
  std::shared_ptr<Broadcast<int>::Receiver> rx =
      std::make_shared<Broadcast<int>::Receiver>(events->subscribe());
  corosim::JoinHandle<void> sender;
  std::vector<int> got;
};
}  // namespace

TEST_CASE("Broadcast's ledger balances when its receivers lag or are cancelled", "[broadcast][ledger]") {
  corosim::testing::require_sweeps_pass(lagging_readers);
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    auto result = run_random(lagging_readers, seed);
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(result.passed());
  }
}

TEST_CASE("cancel-safety table: Broadcast::Receiver::recv", "[cancel_safety][table][broadcast]") {
  using corosim::testing::classify;
  constexpr corosim::CancelSafety kTotal = corosim::CancelSafety::total;
  corosim::testing::require_classes(
      classify<BroadcastState>([] {
        corosim::CancelSafetySpec<BroadcastState> spec;
        spec.make = [] {
          BroadcastState state;
          state.sender = corosim::testing::after_1ms([events = state.events] { events->send(7); });
          return state;
        };
        spec.operation = [](BroadcastState& state) -> Task<void> {
          auto got = co_await state.rx->recv();
          if (got.value) state.got.push_back(*got.value);
        };
        spec.observe = [](const BroadcastState& state) {
          return std::to_string(state.got.size()) + " taken, " + std::to_string(state.rx->pending()) +
                 " pending";
        };
        return spec;
      }),
      kTotal, kTotal, kTotal, kTotal);
}
