// RWMutex: readers share, writers are alone, and a waiting writer goes before
// the readers that come after it.
#include "corosim/runtime/rwmutex.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/cancel_table.h"
#include "tests/common/sim_helpers.h"
#include "tests/common/sweep.h"

using corosim::RWMutex;
using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

TEST_CASE("readers share an RWMutex and a writer waits for all of them", "[rwmutex]") {
  std::vector<std::string> log;
  auto result = run_fifo([&]() -> Task<void> {
    RWMutex lock;
    auto first = co_await lock.read();
    auto second = co_await lock.read();  // a second reader gets in at once
    CORO_CHECK(lock.readers() == 2);
    CORO_CHECK(!lock.try_write());
    auto writer = corosim::spawn([&]() -> Task<void> {
      auto writing = co_await lock.write();
      log.push_back("write");
      CORO_CHECK(lock.write_locked() && lock.readers() == 0);
    });
    co_await corosim::sleep_for(1ms);
    first.release();
    co_await corosim::sleep_for(1ms);
    CORO_CHECK(log.empty());  // one reader still holds it
    second.release();
    co_await writer;
    CORO_CHECK(log == std::vector<std::string>{"write"});
    CORO_CHECK(!lock.is_locked());
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("a waiting writer goes before readers that come after it", "[rwmutex]") {
  std::vector<std::string> order;
  auto result = run_fifo([&]() -> Task<void> {
    RWMutex lock;
    auto held = co_await lock.read();
    corosim::TaskScope scope;
    scope.spawn([&]() -> Task<void> {
      auto writing = co_await lock.write();
      order.push_back("writer");
      co_await corosim::sleep_for(1ms);
    });
    co_await corosim::yield_now();
    CORO_CHECK(!lock.try_read());  // a writer is queued: new readers wait behind it
    for (int i = 0; i < 2; ++i) {
      scope.spawn([&, i]() -> Task<void> {
        auto reading = co_await lock.read();
        order.push_back("reader " + std::to_string(i));
        CORO_CHECK(lock.readers() == 2);  // the two queued readers are admitted together
        co_await corosim::sleep_for(1ms);
      });
    }
    co_await corosim::sleep_for(1ms);
    CORO_CHECK(order.empty());
    held.release();
    co_await scope.join();
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(order == std::vector<std::string>{"writer", "reader 0", "reader 1"});
}

TEST_CASE("a recursive read lock behind a queued writer is a deadlock naming both fibers",
          "[rwmutex][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    RWMutex lock;
    auto outer = co_await lock.read();
    auto writer = corosim::spawn([&]() -> Task<void> { auto writing = co_await lock.write(); });
    co_await corosim::sleep_for(1ms);
    auto inner = co_await lock.read();  // behind the writer, which waits for `outer`
  });
  REQUIRE(checker_of(result) == "deadlock");
  const std::string message = message_of(result);
  INFO(message);
  REQUIRE_THAT(message, Catch::Contains("rwmutex.read") && Catch::Contains("rwmutex.write"));
  REQUIRE_THAT(message, Catch::Contains("queued behind writer fiber 1"));
  REQUIRE_THAT(message,
               Catch::Contains("cycle: fiber 0 -> rwmutex#") && Catch::Contains("(read-locked by fiber 0)"));
}

TEST_CASE("a writer waiting on two readers that wait on it closes a cycle through the RWMutex",
          "[rwmutex][deadlock]") {
  // The writer holds a mutex both readers need; it waits for their read holds.
  auto result = run_fifo([&]() -> Task<void> {
    RWMutex lock;
    corosim::Mutex mutex;
    corosim::TaskScope scope;
    for (int i = 0; i < 2; ++i) {
      scope.spawn([&]() -> Task<void> {
        auto reading = co_await lock.read();
        co_await corosim::sleep_for(2ms);
        auto guard = co_await mutex.lock();
      });
    }
    auto guard = co_await mutex.lock();
    co_await corosim::sleep_for(1ms);
    auto writing = co_await lock.write();
  });
  REQUIRE(checker_of(result) == "deadlock");
  INFO(message_of(result));
  REQUIRE_THAT(message_of(result), Catch::Contains("read-locked by fibers 1, 2") &&
                                       Catch::Contains("cycle: fiber 0 -> rwmutex#") &&
                                       Catch::Contains("-> fiber 1 -> mutex#"));
}

TEST_CASE("asking for the write lock while holding a read lock deadlocks on itself", "[rwmutex][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    RWMutex lock;
    auto reading = co_await lock.read();
    auto writing = co_await lock.write();
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result), Catch::Contains("cycle: fiber 0 -> rwmutex#") &&
                                       Catch::Contains("(read-locked by fiber 0) -> fiber 0"));
}

TEST_CASE("readers and writers keep the RWMutex consistent under random schedules", "[rwmutex]") {
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    int writers_inside = 0;
    int readers_inside = 0;
    int writes = 0;
    auto result = run_random(
        [&]() -> Task<void> {
          RWMutex lock;
          corosim::TaskScope scope;
          for (int i = 0; i < 4; ++i) {
            const bool writer = i % 2 == 0;
            scope.spawn([&, writer]() -> Task<void> {
              for (int round = 0; round < 3; ++round) {
                if (writer) {
                  auto writing = co_await lock.write();
                  CORO_CHECK(++writers_inside == 1 && readers_inside == 0);
                  co_await corosim::yield_now();
                  --writers_inside;
                  ++writes;
                } else {
                  auto reading = co_await lock.read();
                  ++readers_inside;
                  CORO_CHECK(writers_inside == 0);
                  co_await corosim::yield_now();
                  --readers_inside;
                }
              }
            });
          }
          co_await scope.join();
        },
        seed);
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(result.passed());
    REQUIRE(writes == 6);
  }
}

namespace {
// Readers and writers cancellable from outside; the ledger audits the lock
// after every injected cancellation.
Task<void> readers_and_writers() {
  RWMutex lock;
  int value = 0;
  auto reader = [&]() -> Task<void> {
    for (;;) {
      auto reading = co_await lock.read();
      co_await corosim::sleep_for(1ms);
    }
  };
  auto writer = [&]() -> Task<void> {
    for (;;) {
      auto writing = co_await lock.write();
      ++value;
      co_await corosim::sleep_for(1ms);
    }
  };
  auto a = corosim::spawn(reader).externally_cancellable();
  auto b = corosim::spawn(writer).externally_cancellable();
  auto c = corosim::spawn(reader).externally_cancellable();
  co_await corosim::sleep_for(5ms);
  {
    auto writing = co_await lock.write();  // a writer must still get in
  }
  a.cancel();
  b.cancel();
  c.cancel();
}
}  // namespace

TEST_CASE("RWMutex's ledger balances whenever its waiters are cancelled", "[rwmutex][ledger]") {
  corosim::testing::require_sweeps_pass(readers_and_writers);
}

namespace {
struct RWState {
  std::shared_ptr<RWMutex> lock = std::make_shared<RWMutex>();
  std::shared_ptr<RWMutex::WriteGuard> held = std::make_shared<RWMutex::WriteGuard>();
  corosim::JoinHandle<void> releaser;
  int acquired = 0;
};

template <RWMutex::Mode kMode>
void require_total_row() {
  using corosim::testing::classify;
  constexpr corosim::CancelSafety kTotal = corosim::CancelSafety::total;
  corosim::testing::require_classes(
      classify<RWState>([] {
        corosim::CancelSafetySpec<RWState> spec;
        spec.make = [] {
          RWState state;
          *state.held = std::move(*state.lock->try_write());
          state.releaser = corosim::testing::after_1ms([held = state.held] { held->release(); });
          return state;
        };
        spec.operation = [](RWState& state) -> Task<void> {
          if constexpr (kMode == RWMutex::Mode::read) {
            auto guard = co_await state.lock->read();
          } else {
            auto guard = co_await state.lock->write();
          }
          ++state.acquired;
        };
        spec.observe = [](const RWState& state) {
          return std::to_string(state.acquired) + (state.lock->is_locked() ? " locked" : "");
        };
        return spec;
      }),
      kTotal, kTotal, kTotal, kTotal);
}
}  // namespace

TEST_CASE("cancel-safety table: RWMutex::read", "[cancel_safety][table][rwmutex]") {
  require_total_row<RWMutex::Mode::read>();
}

TEST_CASE("cancel-safety table: RWMutex::write", "[cancel_safety][table][rwmutex]") {
  require_total_row<RWMutex::Mode::write>();
}

TEST_CASE("readers queued behind a writer that is cancelled get in at once", "[rwmutex][drop]") {
  auto result = run_fifo([&]() -> Task<void> {
    RWMutex lock;
    auto held = co_await lock.read();
    auto writer = corosim::spawn([&]() -> Task<void> { auto writing = co_await lock.write(); });
    co_await corosim::yield_now();
    auto reader = corosim::spawn([&]() -> Task<void> { auto reading = co_await lock.read(); });
    co_await corosim::yield_now();
    CORO_CHECK(lock.readers() == 1);
    writer.cancel();  // nothing is ahead of the reader now but another reader
    co_await reader;
    CORO_CHECK(lock.readers() == 1);
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}
