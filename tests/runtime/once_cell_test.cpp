// OnceCell and Once: one initialisation, shared by every caller; a failed or
// cancelled one is retried by a caller that waited.
#include "corosim/runtime/once_cell.h"

#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "corosim/runtime/corosim.h"
#include "tests/common/cancel_table.h"
#include "tests/common/sim_helpers.h"
#include "tests/common/sweep.h"

using corosim::OnceCell;
using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

TEST_CASE("a OnceCell runs one initializer and every caller gets its value", "[oncecell]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    int inits = 0;
    auto result = run_random(
        [&]() -> Task<void> {
          OnceCell<int> cell;
          corosim::TaskScope callers;
          for (int i = 0; i < 3; ++i) {
            callers.spawn([&, i]() -> Task<void> {
              int& value = co_await cell.get_or_init([&, i]() -> Task<int> {
                ++inits;
                co_await corosim::sleep_for(1ms);
                co_return 100 + i;
              });
              CORO_CHECK(&value == cell.get());
            });
          }
          co_await callers.join();
          CORO_CHECK(cell.initialized());
        },
        seed);
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(result.passed());
    REQUIRE(inits == 1);
  }
}

TEST_CASE("an initializer that throws leaves the cell empty and a waiting caller initialises it",
          "[oncecell]") {
  auto result = run_fifo([&]() -> Task<void> {
    OnceCell<std::string> cell;
    auto failing = corosim::spawn([&]() -> Task<bool> {
      try {
        co_await cell.get_or_init([]() -> Task<std::string> {
          co_await corosim::sleep_for(1ms);
          throw std::runtime_error("no config");
        });
      } catch (const std::runtime_error&) {
        co_return true;
      }
      co_return false;
    });
    co_await corosim::yield_now();
    std::string& value = co_await cell.get_or_init([]() -> Task<std::string> { co_return "second"; });
    CORO_CHECK(value == "second");
    CORO_CHECK(co_await failing);  // the failure went to its own caller only
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("an initializer cancelled midway hands the initialisation to a waiting caller",
          "[oncecell][drop]") {
  auto result = run_fifo([&]() -> Task<void> {
    OnceCell<int> cell;
    auto first = corosim::spawn([&]() -> Task<void> {
      co_await cell.get_or_init([]() -> Task<int> {
        co_await corosim::sleep_for(1h);
        co_return 1;
      });
    });
    co_await corosim::yield_now();
    auto second = corosim::spawn(
        [&]() -> Task<int> { co_return co_await cell.get_or_init([]() -> Task<int> { co_return 2; }); });
    co_await corosim::yield_now();
    CORO_CHECK(!second.is_finished());
    first.cancel();
    CORO_CHECK(co_await second == 2);
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("an initializer that asks for its own cell is a deadlock on itself", "[oncecell][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    OnceCell<int> cell;
    co_await cell.get_or_init(
        [&]() -> Task<int> { co_return co_await cell.get_or_init([]() -> Task<int> { co_return 1; }) + 1; });
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result), Catch::Contains("oncecell.get_or_init on oncecell#0 (being initialised by "
                                                   "fiber 0), held by this same fiber"));
}

TEST_CASE("Once runs its function once however many fibers call it", "[oncecell]") {
  int calls = 0;
  auto result = run_random(
      [&]() -> Task<void> {
        corosim::Once setup;
        corosim::TaskScope callers;
        for (int i = 0; i < 3; ++i) {
          callers.spawn([&]() -> Task<void> {
            co_await setup.call_once([&]() -> Task<void> {
              co_await corosim::sleep_for(1ms);
              ++calls;
            });
            CORO_CHECK(setup.done());
          });
        }
        co_await callers.join();
      },
      3);
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(calls == 1);
}

namespace {
// Callers and the initializer all cancellable from outside: whoever is left
// must get the value (or the cell must be free for a retry).
Task<void> cell_callers() {
  OnceCell<int> cell;
  auto caller = [&]() -> Task<void> {
    co_await cell.get_or_init([]() -> Task<int> {
      co_await corosim::sleep_for(1ms);
      co_return 7;
    });
  };
  auto a = corosim::spawn(caller).externally_cancellable();
  auto b = corosim::spawn(caller).externally_cancellable();
  auto c = corosim::spawn(caller).externally_cancellable();
  co_await corosim::sleep_for(5ms);
  CORO_CHECK(co_await cell.get_or_init([]() -> Task<int> { co_return 7; }) == 7);
  co_await corosim::sleep_for(1ms);
  CORO_CHECK(a.is_finished() && b.is_finished() && c.is_finished());
}

struct CellState {
  std::shared_ptr<OnceCell<int>> cell = std::make_shared<OnceCell<int>>();
  corosim::JoinHandle<void> initializer;
  int returned = 0;
};
}  // namespace

TEST_CASE("OnceCell's ledger balances whenever its callers are cancelled", "[oncecell][ledger]") {
  corosim::testing::require_sweeps_pass(cell_callers);
}

TEST_CASE("cancel-safety table: OnceCell::get_or_init", "[cancel_safety][table][oncecell]") {
  // A shielded fiber initialises the cell, which takes 1ms.
  using corosim::testing::classify;
  constexpr corosim::CancelSafety kTotal = corosim::CancelSafety::total;
  corosim::testing::require_classes(
      classify<CellState>([] {
        corosim::CancelSafetySpec<CellState> spec;
        spec.make = [] {
          CellState state;
          state.initializer = corosim::spawn([cell = state.cell]() -> Task<void> {
                                co_await cell->get_or_init([]() -> Task<int> {
                                  co_await corosim::sleep_for(1ms);
                                  co_return 7;
                                });
                              }).shield();
          return state;
        };
        spec.operation = [](CellState& state) -> Task<void> {
          // Either initializer gives 7: which one runs is a race, not the effect.
          co_await state.cell->get_or_init([]() -> Task<int> { co_return 7; });
          ++state.returned;
        };
        spec.observe = [](const CellState& state) {
          return std::to_string(state.returned) + " value " +
                 (state.cell->initialized() ? std::to_string(*state.cell->get()) : std::string("none"));
        };
        return spec;
      }),
      kTotal, kTotal, kTotal, kTotal);
}
