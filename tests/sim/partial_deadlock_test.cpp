// A wait-for cycle among some fibers is a deadlock when it forms, although
// other fibers (main, sleeping on a timer) still run; a cycle that something
// already in motion can break (a timeout, a token) is not.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <type_traits>

#include "corosim/runtime/corosim.h"
#include "corosim/sim/wait_graph.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

namespace {

// Two workers take two mutexes in opposite order; main ticks on for 100ms,
// then cancels them — so the run would end without a stuck fiber left.
Task<void> lock_cycle_while_main_ticks() {
  corosim::Mutex a;
  corosim::Mutex b;
  corosim::TaskScope scope;
  scope.spawn([&]() -> Task<void> {
    auto ga = co_await a.lock();
    co_await corosim::yield_now();
    auto gb = co_await b.lock();
  });
  scope.spawn([&]() -> Task<void> {
    auto gb = co_await b.lock();
    co_await corosim::yield_now();
    auto ga = co_await a.lock();
  });
  for (int tick = 0; tick < 100; ++tick) co_await corosim::sleep_for(1ms);
  scope.cancel();
  co_await scope.join();
}

// A worker joins a fiber that waits for the lock the worker holds; main
// returns without looking at either, and without letting time pass.
Task<void> join_cycle_left_behind() {
  auto mutex = std::make_shared<corosim::Mutex>();
  corosim::spawn([mutex]() -> Task<void> {
    auto guard = co_await mutex->lock();
    auto helper = corosim::spawn([mutex]() -> Task<void> { auto inner = co_await mutex->lock(); });
    co_await helper;
  }).detach(corosim::Outlive::allowed);
  for (int i = 0; i < 3; ++i) co_await corosim::yield_now();
}

// One worker takes both locks inside a timeout and retries after backing
// off; the other takes them in the opposite order. The cycle forms and the
// timer breaks it, as designed.
Task<void> lock_cycle_with_back_off() {
  corosim::Mutex a;
  corosim::Mutex b;
  int done = 0;
  corosim::TaskScope scope;
  scope.spawn([&]() -> Task<void> {
    auto both = [&]() -> Task<void> {
      auto ga = co_await a.lock();
      co_await corosim::yield_now();
      auto gb = co_await b.lock();
    };
    for (;;) {
      const bool took = co_await corosim::timeout(1ms, both());
      if (took) break;
      co_await corosim::sleep_for(std::chrono::microseconds(1 + corosim::random(500)));
    }
    ++done;
  });
  scope.spawn([&]() -> Task<void> {
    auto gb = co_await b.lock();
    co_await corosim::yield_now();
    auto ga = co_await a.lock();
    ++done;
  });
  co_await scope.join();
  CORO_CHECK(done == 2);
}

// Main waits for a worker that waits for main's token: a cycle through the
// token's creator — but a third fiber holds a copy and cancels it.
Task<void> token_cycle_broken_by_a_copy() {
  corosim::CancellationToken stop;
  auto waiter = corosim::spawn([stop]() -> Task<void> { co_await stop.cancelled(); });
  auto canceller = corosim::spawn([stop]() -> Task<void> {
    co_await corosim::sleep_for(2ms);
    stop.cancel();
  });
  co_await waiter;
  co_await canceller;
}

// Each worker waits on a channel whose last sender is the other (the wait-for
// graph's likely partner), while main sleeps before sending on both: any
// holder of a channel may send, so this is no deadlock.
Task<void> channel_cycle_broken_by_main() {
  auto [to_a, a_in] = corosim::channel<int>(1);
  auto [to_b, b_in] = corosim::channel<int>(1);
  corosim::TaskScope scope;
  scope.spawn([&, a_in = std::move(a_in)]() mutable -> Task<void> {
    co_await to_b.send(1);
    co_await a_in.recv();
    co_await a_in.recv();  // last sender: b
  });
  scope.spawn([&, b_in = std::move(b_in)]() mutable -> Task<void> {
    co_await to_a.send(1);
    co_await b_in.recv();
    co_await b_in.recv();  // last sender: a
  });
  co_await corosim::sleep_for(1ms);
  co_await to_a.send(2);
  co_await to_b.send(2);
  co_await scope.join();
}

// Main takes the lock, hands it to a helper that releases it after 1ms,
// and waits for the lock itself: main waits for a lock accounted to main,
// but another fiber holds the guard. Each way of handing it over: a guard
// moved into the helper, a guard shared with it, a manual lock it unlocks.
Task<void> mutex_handed_to_a_helper(int how) {
  auto mutex = std::make_shared<corosim::Mutex>();
  corosim::JoinHandle<void> helper;
  if (how == 0) {
    auto guard = co_await mutex->lock();
    helper = corosim::spawn([guard = std::move(guard)]() mutable -> Task<void> {
      co_await corosim::sleep_for(1ms);
      guard.unlock();
    });
  } else if (how == 1) {
    auto shared = std::make_shared<corosim::Mutex::Guard>();
    *shared = co_await mutex->lock();
    helper = corosim::spawn([shared]() -> Task<void> {
      co_await corosim::sleep_for(1ms);
      shared->unlock();
    });
  } else {
    CORO_CHECK(mutex->try_lock());
    helper = corosim::spawn([mutex]() -> Task<void> {
      co_await corosim::sleep_for(1ms);
      mutex->unlock();
    });
  }
  auto again = co_await mutex->lock();
  co_await helper;
}

// The same with an RWMutex: a write guard moved into the helper, or a read
// guard from try_read() that the helper releases.
Task<void> rwmutex_handed_to_a_helper(bool moved) {
  auto lock = std::make_shared<corosim::RWMutex>();
  corosim::JoinHandle<void> helper;
  if (moved) {
    auto writing = co_await lock->write();
    helper = corosim::spawn([writing = std::move(writing)]() mutable -> Task<void> {
      co_await corosim::sleep_for(1ms);
      writing.release();
    });
  } else {
    auto reading = std::make_shared<corosim::RWMutex::ReadGuard>(std::move(*lock->try_read()));
    helper = corosim::spawn([reading]() -> Task<void> {
      co_await corosim::sleep_for(1ms);
      reading->release();
    });
  }
  auto writing = co_await lock->write();
  co_await helper;
}

// A fiber that takes a lock it already holds, in the guard lock() made,
// while main ticks on: no other fiber can release it.
template <class Lock>
Task<void> relock_while_main_ticks() {
  Lock lock;
  corosim::TaskScope scope;
  scope.spawn([&]() -> Task<void> {
    if constexpr (std::is_same_v<Lock, corosim::Mutex>) {
      auto first = co_await lock.lock();
      auto second = co_await lock.lock();
    } else {
      auto first = co_await lock.write();
      auto second = co_await lock.write();
    }
  });
  for (int tick = 0; tick < 100; ++tick) co_await corosim::sleep_for(1ms);
  scope.cancel();
  co_await scope.join();
}

// A user's latch, opened by the fiber that armed it: holder_id() names that
// fiber, and holders_exclusive() (overridden, as docs/writing-primitives.md
// says) tells whether only it can open the latch.
template <bool kExclusive>
class Latch final : public corosim::WaitTarget {
 public:
  void describe(std::string& out) const override { out += "latch"; }
  std::uint32_t holder_id() const noexcept override { return opener_; }
  bool holders_exclusive() const noexcept override { return kExclusive; }
  void arm() { opener_ = corosim::current_fiber_id(); }
  void open() {
    open_ = true;
    queue_.wake_all();
  }
  Task<void> wait() {
    corosim::WaitQueue::Ticket ticket;
    if (!open_) co_await queue_.park(ticket);
  }

 private:
  corosim::WaitQueue queue_{*this, "latch.wait"};
  std::uint32_t opener_ = corosim::kNoFiber;
  bool open_ = false;
};

// Each worker arms a latch and waits on the other's; main sleeps, then opens
// both. A cycle of exclusive holds while main sleeps; of likely ones if not.
template <bool kExclusive>
Task<void> latch_cycle_opened_by_main() {
  Latch<kExclusive> a;
  Latch<kExclusive> b;
  corosim::TaskScope scope;
  scope.spawn([&]() -> Task<void> {
    a.arm();
    co_await b.wait();
  });
  scope.spawn([&]() -> Task<void> {
    b.arm();
    co_await a.wait();
  });
  co_await corosim::sleep_for(1ms);
  a.open();
  b.open();
  co_await scope.join();
}

// A user's lock, held exclusively (WaitTarget's default) by one fiber.
class HeldBy final : public corosim::WaitTarget {
 public:
  explicit HeldBy(std::uint32_t holder) noexcept : holder_(holder) {}
  void describe(std::string& out) const override { out += "lock#" + std::to_string(holder_); }
  std::uint32_t holder_id() const noexcept override { return holder_; }

 private:
  std::uint32_t holder_;
};

}  // namespace

TEST_CASE("a lock cycle is a deadlock when it forms although main still runs", "[sim][deadlock][partial]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    auto result = run_random(lock_cycle_while_main_ticks, seed);
    if (!result.failure) continue;  // this seed took the locks in turn
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(checker_of(result) == "deadlock");
    CHECK_THAT(message_of(result), Catch::Contains("2 fiber(s) wait for each other in a cycle that nothing "
                                                   "pending can break, while other fibers still run"));
    CHECK_THAT(message_of(result), Catch::Contains("cycle: fiber 1 -> mutex#") &&
                                       Catch::Contains("-> fiber 2 -> mutex#") &&
                                       Catch::EndsWith("-> fiber 1"));
    CHECK_THAT(message_of(result), !Catch::Contains("fiber 0 (main)"));
    // Reported in the instant it formed, not after main's 100ms.
    CHECK(result.failure->time_ns == 0);
    CHECK(std::string(result.failure->location.base_name()) == "partial_deadlock_test.cpp");
  }
  auto fifo = run_fifo(lock_cycle_while_main_ticks);
  REQUIRE(checker_of(fifo) == "deadlock");
}

TEST_CASE("a cycle left behind when main returns is a deadlock not a leak", "[sim][deadlock][partial]") {
  auto result = run_fifo(join_cycle_left_behind);
  INFO(message_of(result));
  REQUIRE(checker_of(result) == "deadlock");
  CHECK_THAT(message_of(result),
             Catch::Contains("held by fiber 1") && Catch::Contains("cycle: fiber 1 -> fiber 2"));
}

TEST_CASE("a cycle that a timeout or a token will break is not a deadlock", "[sim][deadlock][partial]") {
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    auto back_off = run_random(lock_cycle_with_back_off, seed);
    INFO("back-off, seed " << seed << ": " << message_of(back_off));
    REQUIRE(back_off.passed());
    auto token = run_random(token_cycle_broken_by_a_copy, seed);
    INFO("token, seed " << seed << ": " << message_of(token));
    REQUIRE(token.passed());
  }
}

TEST_CASE("a lock whose guard another fiber holds is no deadlock when its acquirer waits for it",
          "[sim][deadlock][partial]") {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    for (int how = 0; how < 3; ++how) {
      auto mutex = run_random([how] { return mutex_handed_to_a_helper(how); }, seed);
      INFO("mutex, way " << how << ", seed " << seed << ": " << message_of(mutex));
      REQUIRE(mutex.passed());
    }
    for (bool moved : {true, false}) {
      auto rwmutex = run_random([moved] { return rwmutex_handed_to_a_helper(moved); }, seed);
      INFO("rwmutex, moved " << moved << ", seed " << seed << ": " << message_of(rwmutex));
      REQUIRE(rwmutex.passed());
    }
  }
  // Held in the guard that lock() made, the same wait is a deadlock at once.
  for (auto body : {relock_while_main_ticks<corosim::Mutex>, relock_while_main_ticks<corosim::RWMutex>}) {
    auto result = run_fifo(body);
    INFO(message_of(result));
    REQUIRE(checker_of(result) == "deadlock");
    CHECK_THAT(message_of(result), Catch::Contains("while other fibers still run"));
    CHECK(result.failure->time_ns == 0);
  }
}

TEST_CASE("a cycle through channels or non-exclusive user targets is not a deadlock",
          "[sim][deadlock][partial]") {
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    auto channels = run_random(channel_cycle_broken_by_main, seed);
    INFO("channels, seed " << seed << ": " << message_of(channels));
    REQUIRE(channels.passed());
    auto latches = run_random(latch_cycle_opened_by_main<false>, seed);
    INFO("latches, seed " << seed << ": " << message_of(latches));
    REQUIRE(latches.passed());
  }
  // The same latches held exclusively: the cycle is reported as it forms.
  auto exclusive = run_fifo(latch_cycle_opened_by_main<true>);
  CHECK(checker_of(exclusive) == "deadlock");
  CHECK_THAT(message_of(exclusive), Catch::Contains("latch.wait on latch"));
}

// A long run's ids reach the millions while few fibers are alive; the search
// runs each time virtual time passes after such a park, so it must cost the
// fibers alive, not every id the run handed out.
TEST_CASE("the stuck-cycle search is sized by the unfinished fibers and not by their ids",
          "[sim][deadlock][partial]") {
  constexpr std::uint32_t kIds[] = {1'000'000, 2'000'000, 3'000'000};
  const HeldBy locks[] = {HeldBy(kIds[1]), HeldBy(kIds[2]), HeldBy(kIds[0])};
  corosim::Fiber fibers[3];
  for (int i = 0; i < 3; ++i) {
    fibers[i].id = kIds[i];
    fibers[i].state = corosim::FiberState::waiting;
    fibers[i].waiting_what = "lock";
    fibers[i].waiting_on = &locks[i];
    fibers[i].alive_next = i < 2 ? &fibers[i + 1] : nullptr;
  }
  std::vector<std::uint32_t> starts{kIds[1], 7};  // 7: an id long finished
  corosim::WaitGraphBuffers buffers;
  const auto report = corosim::find_stuck_cycle(&fibers[0], starts, buffers);
  REQUIRE(report.has_value());
  CHECK_THAT(report->message,
             Catch::Contains("cycle: fiber 1000000 -> lock#2000000 -> fiber 2000000 -> "
                             "lock#3000000 -> fiber 3000000 -> lock#1000000 -> fiber 1000000"));
  CHECK(buffers.parent.size() == 3);
  CHECK(buffers.off_cycle.size() == 3);
}
