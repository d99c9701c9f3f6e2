// Mutex, Semaphore and Event.
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/runtime/detail/waiter_list.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

TEST_CASE("Mutex gives mutual exclusion under every explored schedule", "[mutex]") {
  auto body = []() -> Task<void> {
    corosim::Mutex mutex;
    int inside = 0;
    corosim::TaskScope scope;
    for (int i = 0; i < 4; ++i) {
      scope.spawn([&]() -> Task<void> {
        for (int round = 0; round < 3; ++round) {
          auto guard = co_await mutex.lock();
          CORO_CHECK(++inside == 1);
          co_await corosim::yield_now();
          --inside;
        }
      });
    }
    co_await scope.join();
    CORO_CHECK(!mutex.is_locked());
  };
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    auto result = run_random(body, seed);
    INFO("seed " << seed << ": " << corosim::testing::message_of(result));
    REQUIRE(result.passed());
  }
}

TEST_CASE("Mutex hands the lock to waiters in arrival order", "[mutex]") {
  std::vector<int> order;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Mutex mutex;
    auto guard = co_await mutex.lock();
    corosim::TaskScope scope;
    for (int i = 0; i < 3; ++i) {
      scope.spawn([&, i]() -> Task<void> {
        auto mine = co_await mutex.lock();
        order.push_back(i);
      });
    }
    co_await corosim::yield_now();  // all three queue up
    guard.unlock();
    co_await scope.join();
  });
  REQUIRE(result.passed());
  REQUIRE(order == std::vector<int>{0, 1, 2});
}

TEST_CASE("a waiter dropped after the hand-off passes the lock on", "[mutex][drop]") {
  bool second_got_it = false;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Mutex mutex;
    auto guard = co_await mutex.lock();
    auto first = corosim::spawn([&]() -> Task<void> { auto g = co_await mutex.lock(); });
    auto second = corosim::spawn([&]() -> Task<void> {
      auto g = co_await mutex.lock();
      second_got_it = true;
    });
    co_await corosim::yield_now();
    guard.unlock();  // granted to `first`, which has not resumed yet
    first.cancel();  // ... and is dropped: the lock must go to `second`
    co_await second;
    CORO_CHECK(!mutex.is_locked());
  });
  REQUIRE(result.passed());
  REQUIRE(second_got_it);
}

TEST_CASE("Semaphore limits concurrency and keeps its ledger", "[semaphore]") {
  auto body = []() -> Task<void> {
    corosim::Semaphore permits(2);
    int active = 0;
    corosim::TaskScope scope;
    for (int i = 0; i < 5; ++i) {
      scope.spawn([&]() -> Task<void> {
        auto permit = co_await permits.acquire();
        CORO_CHECK(++active <= 2);
        CORO_CHECK(permits.available() + permits.held() == permits.capacity());
        co_await corosim::sleep_for(std::chrono::milliseconds(1 + corosim::random(3)));
        --active;
      });
    }
    co_await scope.join();
    CORO_CHECK(permits.available() == 2);
  };
  for (std::uint64_t seed = 0; seed < 30; ++seed) REQUIRE(run_random(body, seed).passed());
}

TEST_CASE("Semaphore serves a large request at the head before smaller ones", "[semaphore]") {
  std::vector<std::string> order;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Semaphore permits(3);
    auto held = co_await permits.acquire(3);
    auto big = corosim::spawn([&]() -> Task<void> {
      auto p = co_await permits.acquire(3);
      order.push_back("big");
    });
    auto small = corosim::spawn([&]() -> Task<void> {
      auto p = co_await permits.acquire(1);
      order.push_back("small");
    });
    co_await corosim::yield_now();
    held.release();
    co_await big;
    co_await small;
  });
  REQUIRE(result.passed());
  REQUIRE(order == std::vector<std::string>{"big", "small"});
}

// Guards add_permits() and Permit::forget(): Dijkstra's bounded buffer, P
// and V on two counting semaphores, one of them starting empty (sem_t ported
// from C). Before them a Semaphore(0) could not be waited on at all.
TEST_CASE("Semaphore works as a counting semaphore for P and V signals", "[semaphore]") {
  auto body = []() -> Task<void> {
    corosim::Semaphore empty(2);
    corosim::Semaphore full(0);
    std::vector<int> buffer;
    std::vector<int> taken;
    auto producer = corosim::spawn([&]() -> Task<void> {
      for (int i = 0; i < 6; ++i) {
        (co_await empty.acquire()).forget();  // P(empty)
        buffer.push_back(i);
        full.add_permits(1);  // V(full)
        co_await corosim::yield_now();
      }
    });
    for (int i = 0; i < 6; ++i) {
      (co_await full.acquire()).forget();  // P(full)
      CORO_CHECK(!buffer.empty());
      taken.push_back(buffer.front());
      buffer.erase(buffer.begin());
      empty.add_permits(1);  // V(empty)
      CORO_CHECK(empty.capacity() + full.capacity() <= 2);
    }
    co_await producer;
    CORO_CHECK(taken == std::vector<int>({0, 1, 2, 3, 4, 5}));
    CORO_CHECK(full.capacity() == 0 && full.available() == 0);
    CORO_CHECK(empty.capacity() == 2 && empty.available() == 2);
  };
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    const corosim::RunResult run = run_random(body, seed);
    INFO(corosim::testing::message_of(run));
    REQUIRE(run.passed());
  }
}

TEST_CASE("a request beyond a semaphore's permits waits for add_permits", "[semaphore]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Semaphore permits(1);
    auto three =
        corosim::spawn([&]() -> Task<std::size_t> { co_return (co_await permits.acquire(3)).count(); });
    co_await corosim::sleep_for(1ms);
    CORO_CHECK(!three.is_finished());
    permits.add_permits(2);
    const std::size_t got = co_await three;  // bound first: g++ 12 and co_await in a condition
    CORO_CHECK(got == 3);
    CORO_CHECK(permits.available() == 3 && permits.capacity() == 3);
  });
  INFO(corosim::testing::message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("releasing more semaphore permits than are held is a UsageError", "[semaphore]") {
  std::string what;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Semaphore permits(1);
    try {
      permits.release();
    } catch (const corosim::UsageError& error) {
      what = error.what();
    }
    co_return;
  });
  REQUIRE(result.passed());
  CHECK_THAT(what, Catch::Contains("Semaphore::release(1)") && Catch::Contains("0 permit(s) held") &&
                       Catch::Contains("add_permits()"));
}

TEST_CASE("a dropped semaphore waiter gives back granted permits", "[semaphore][drop]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Semaphore permits(1);
    auto held = co_await permits.acquire();
    auto waiter = corosim::spawn([&]() -> Task<void> { auto p = co_await permits.acquire(); });
    co_await corosim::yield_now();
    held.release();   // granted to waiter
    waiter.cancel();  // dropped before it resumed
    CORO_CHECK(permits.available() == 1);
  });
  REQUIRE(result.passed());
}

TEST_CASE("Event wakes every waiter and stays set", "[event]") {
  int woken = 0;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Event ready;
    corosim::TaskScope scope;
    for (int i = 0; i < 3; ++i) {
      scope.spawn([&]() -> Task<void> {
        co_await ready.wait();
        ++woken;
      });
    }
    co_await corosim::yield_now();
    CORO_CHECK(woken == 0);
    ready.set();
    co_await scope.join();
    CORO_CHECK(woken == 3);
    co_await ready.wait();  // level-triggered: does not park
    ready.reset();
    CORO_CHECK(!ready.is_set());
  });
  REQUIRE(result.passed());
}

// Past its first few waiters, a wake-up walks the list from both ends at once
// (WaiterList::wake_crowd): the waiters must still wake in the order they
// parked, whatever the length's parity and whichever waiters left the list.
TEST_CASE("Event wakes a long list of waiters in the order they parked", "[event]") {
  struct Case {
    int waiters;
    std::vector<int> cancelled;  // while parked, by place in the list (0: its head)
  };
  const std::vector<Case> cases = {
      {9, {}},
      {10, {}},
      {11, {}},
      {17, {}},
      {300, {}},
      {301, {}},
      {12, {0, 11}},
      {40, {0, 1, 7, 8, 9, 19, 20, 21, 38, 39}},
      {41, {2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 32, 35, 38}},
      // Long enough for anchors (WaiterList::kAnchorFrom): walked as many
      // chains, anchors kept through cancellations at either end, dropped by
      // one from the middle (then walked from both ends).
      {2'400, {}},
      {2'400, {0, 1, 2'398, 2'399}},
      {2'400, {0, 1'200, 2'399}},
  };
  for (const Case& c : cases) {
    std::vector<int> parked;
    std::vector<int> woken;
    auto result = run_fifo([&]() -> Task<void> {
      corosim::Event go;
      std::vector<corosim::JoinHandle<void>> waiters;
      for (int i = 0; i < c.waiters; ++i) {
        // Each waits after a number of yields of its own: the list's order is
        // not the order of spawning.
        waiters.push_back(corosim::spawn([&go, &parked, &woken, i, n = c.waiters]() -> Task<void> {
          for (int k = 0; k < (i * 7) % n % 5; ++k) co_await corosim::yield_now();
          parked.push_back(i);
          co_await go.wait();
          woken.push_back(i);
        }));
      }
      for (int k = 0; k < 10; ++k) co_await corosim::yield_now();  // every one has parked
      CORO_CHECK(static_cast<int>(parked.size()) == c.waiters);
      for (int place : c.cancelled) waiters[static_cast<std::size_t>(parked[place])].cancel();
      go.set();
      for (int place = 0; place < c.waiters; ++place) {
        if (std::find(c.cancelled.begin(), c.cancelled.end(), place) == c.cancelled.end())
          co_await waiters[static_cast<std::size_t>(parked[place])];
      }
    });
    INFO(c.waiters << " waiters, " << c.cancelled.size()
                   << " cancelled: " << corosim::testing::message_of(result));
    REQUIRE(result.passed());
    std::vector<int> expected;
    for (int place = 0; place < c.waiters; ++place) {
      if (std::find(c.cancelled.begin(), c.cancelled.end(), place) == c.cancelled.end())
        expected.push_back(parked[place]);
    }
    CHECK(woken == expected);
    CHECK_FALSE(std::is_sorted(parked.begin(), parked.end()));  // the list's order, not the ids'
  }
}

TEST_CASE("a long waiter list keeps anchors for its wake-up walk while it can tell them apart", "[event]") {
  using corosim::detail::WaiterList;
  using corosim::detail::WaiterNode;
  corosim::Fiber fiber;  // only its address is kept
  constexpr std::uint32_t kLong = WaiterList::kAnchorFrom + 3 * WaiterList::kAnchorGap;
  const auto nodes = std::make_unique<WaiterNode[]>(kLong);
  WaiterList list;
  for (std::uint32_t i = 0; i < WaiterList::kAnchorFrom; ++i) list.push_back(nodes[i], fiber);
  CHECK(list.anchors() == 0);
  for (std::uint32_t i = WaiterList::kAnchorFrom; i < kLong; ++i) list.push_back(nodes[i], fiber);
  // Every kAnchorGap-th node pushed from kAnchorFrom on, the last anchor
  // one before the tail.
  CHECK(list.anchors() == 3);
  for (int i = 0; i < 5; ++i) list.pop_front();
  CHECK(list.anchors() == 3);  // the head lies before every anchor
  list.unlink(nodes[kLong - 1]);
  CHECK(list.anchors() == 3);  // the tail lay after every anchor
  list.unlink(nodes[kLong - 2]);
  CHECK(list.anchors() == 2);  // the last anchor
  list.unlink(nodes[WaiterList::kAnchorFrom + WaiterList::kAnchorGap - 2]);
  CHECK(list.anchors() == 1);  // the first anchor, from the middle
  list.unlink(nodes[WaiterList::kAnchorFrom]);
  CHECK(list.anchors() == 0);  // from the middle, maybe an anchor: all dropped
  while (!list.empty()) list.pop_front();
}

TEST_CASE("destroying a primitive while a fiber waits on it is reported", "[event]") {
  auto result = run_fifo([&]() -> Task<void> {
    auto* event = new corosim::Event;
    auto waiter = corosim::spawn([event]() -> Task<void> { co_await event->wait(); });
    co_await corosim::yield_now();
    delete event;
    waiter.cancel();
  });
  REQUIRE(checker_of(result) == "dangling-wait");
  REQUIRE_THAT(result.failure->message, Catch::Contains("fiber(s) 1"));
}
