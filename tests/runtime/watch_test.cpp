// Watch: the latest value and a change notification per receiver.
#include "corosim/runtime/watch.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/cancel_table.h"
#include "tests/common/sim_helpers.h"
#include "tests/common/sweep.h"

using corosim::Task;
using corosim::Watch;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

TEST_CASE("a Watch receiver sees the latest value once per change and false after close", "[watch]") {
  std::vector<int> seen;
  auto result = run_fifo([&]() -> Task<void> {
    Watch<int> config(0);
    auto rx = config.subscribe();
    CORO_CHECK(!rx.has_changed() && rx.borrow() == 0);
    auto reader = corosim::spawn([&seen, rx]() mutable -> Task<void> {
      while (co_await rx.changed()) seen.push_back(rx.borrow_and_update());
    });
    co_await corosim::sleep_for(1ms);
    config.send(1);
    config.send(2);  // before the reader ran: it sees only the latest
    co_await corosim::sleep_for(1ms);
    config.send(3);
    co_await corosim::sleep_for(1ms);
    config.close();
    co_await reader;
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(seen == std::vector<int>{2, 3});
}

TEST_CASE("every Watch receiver is woken by a change and a late subscriber starts from the current value",
          "[watch]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    int woken = 0;
    auto result = run_random(
        [&]() -> Task<void> {
          Watch<std::string> state("starting");
          corosim::TaskScope readers;
          for (int i = 0; i < 3; ++i) {
            readers.spawn([&woken, rx = state.subscribe()]() mutable -> Task<void> {
              while (rx.borrow_and_update() != "ready") {
                CORO_CHECK(co_await rx.changed());
              }
              ++woken;
            });
          }
          co_await corosim::yield_now();
          state.send("loading");
          co_await corosim::yield_now();
          state.send("ready");
          co_await readers.join();
          CORO_CHECK(!state.subscribe().has_changed());
        },
        seed);
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(result.passed());
    REQUIRE(woken == 3);
  }
}

TEST_CASE("a send on a closed Watch is a usage error", "[watch]") {
  auto result = run_fifo([&]() -> Task<void> {
    Watch<int> value(0);
    value.close();
    value.send(1);
    co_return;
  });
  REQUIRE(checker_of(result) == "escaped-exception");
  REQUIRE_THAT(message_of(result), Catch::Contains("send on watch#0") && Catch::Contains("after close()"));
}

TEST_CASE("a receiver waiting on a Watch nobody changes is a deadlock naming it", "[watch][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    Watch<int> value(0);
    auto rx = value.subscribe();
    co_await rx.changed();
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result), Catch::Contains("watch.changed on watch#0 (version 0)"));
}

namespace {
Task<void> watch_readers() {
  Watch<int> value(0);
  auto reader = [&value]() -> Task<void> {
    auto rx = value.subscribe();
    while (co_await rx.changed()) rx.borrow_and_update();
  };
  auto a = corosim::spawn(reader).externally_cancellable();
  auto b = corosim::spawn(reader).externally_cancellable();
  for (int i = 1; i <= 3; ++i) {
    co_await corosim::sleep_for(1ms);
    value.send(i);
  }
  co_await corosim::sleep_for(1ms);
  value.close();
  co_await corosim::sleep_for(1ms);
  CORO_CHECK(a.is_finished() && b.is_finished());
}

struct WatchState {
  std::shared_ptr<Watch<int>> value = std::make_shared<Watch<int>>(0);
  std::shared_ptr<Watch<int>::Receiver> rx = std::make_shared<Watch<int>::Receiver>(value->subscribe());
  corosim::JoinHandle<void> sender;
  int returned = 0;
};
}  // namespace

TEST_CASE("Watch's ledger balances whenever its receivers are cancelled", "[watch][ledger]") {
  corosim::testing::require_sweeps_pass(watch_readers);
}

TEST_CASE("cancel-safety table: Watch::Receiver::changed", "[cancel_safety][table][watch]") {
  using corosim::testing::classify;
  constexpr corosim::CancelSafety kTotal = corosim::CancelSafety::total;
  corosim::testing::require_classes(
      classify<WatchState>([] {
        corosim::CancelSafetySpec<WatchState> spec;
        spec.make = [] {
          WatchState state;
          state.sender = corosim::testing::after_1ms([value = state.value] { value->send(5); });
          return state;
        };
        spec.operation = [](WatchState& state) -> Task<void> {
          if (co_await state.rx->changed()) ++state.returned;
        };
        spec.observe = [](const WatchState& state) {
          return std::to_string(state.returned) + (state.rx->has_changed() ? " unseen" : " seen");
        };
        return spec;
      }),
      kTotal, kTotal, kTotal, kTotal);
}
