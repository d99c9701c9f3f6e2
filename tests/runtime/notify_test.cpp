// Notify and CondVar: wake-ups as tokens that are never lost while someone waits.
#include "corosim/runtime/notify.h"

#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <vector>

#include "corosim/runtime/condvar.h"
#include "corosim/runtime/corosim.h"
#include "tests/common/cancel_table.h"
#include "tests/common/sim_helpers.h"
#include "tests/common/sweep.h"

using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

TEST_CASE("notify_one with nobody waiting stores one permit and permits do not add up", "[notify]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Notify notify;
    notify.notify_one();
    notify.notify_one();
    CORO_CHECK(notify.has_permit());
    co_await notify.notified();  // takes the permit without parking
    CORO_CHECK(!notify.has_permit());
    auto second = corosim::spawn([&notify]() -> Task<void> { co_await notify.notified(); });
    co_await corosim::sleep_for(1ms);
    CORO_CHECK(!second.is_finished());  // the two notify_one() calls made one permit
    notify.notify_one();
    co_await second;
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("notify_one wakes the oldest waiter and notify_waiters wakes all without a permit", "[notify]") {
  std::vector<int> order;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Notify notify;
    corosim::TaskScope waiters;
    for (int i = 0; i < 3; ++i) {
      waiters.spawn([&notify, &order, i]() -> Task<void> {
        co_await notify.notified();
        order.push_back(i);
      });
    }
    co_await corosim::yield_now();
    notify.notify_one();
    co_await corosim::sleep_for(1ms);
    CORO_CHECK(order == std::vector<int>{0});
    notify.notify_waiters();
    co_await waiters.join();
    CORO_CHECK(!notify.has_permit());
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(order == std::vector<int>{0, 1, 2});
}

TEST_CASE("a waiter woken by notify_one and cancelled passes the wake-up on", "[notify][drop]") {
  std::vector<int> woke;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Notify notify;
    auto first = corosim::spawn([&]() -> Task<void> {
      co_await notify.notified();
      woke.push_back(1);
    });
    auto second = corosim::spawn([&]() -> Task<void> {
      co_await notify.notified();
      woke.push_back(2);
    });
    co_await corosim::yield_now();
    notify.notify_one();  // the first's
    first.cancel();       // dropped before it resumed: the second gets it
    co_await second;
    auto third = corosim::spawn([&]() -> Task<void> { co_await notify.notified(); });
    co_await corosim::yield_now();
    notify.notify_one();
    third.cancel();  // nobody else waits: it becomes the permit
    CORO_CHECK(notify.has_permit());
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(woke == std::vector<int>{2});
}

TEST_CASE("a fiber waiting on a Notify nobody notifies is a deadlock naming it", "[notify][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Notify notify;
    co_await notify.notified();
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result), Catch::Contains("notify.notified") && Catch::Contains("notify#"));
}

namespace {
// Workers cancellable from outside wait for jobs announced by notify_one; the
// producer keeps notifying until every job was taken. A wake-up that went
// nowhere leaves the ledger short.
Task<void> notified_workers() {
  corosim::Notify notify;
  int jobs = 0;
  int done = 0;
  auto worker = [&]() -> Task<void> {
    for (;;) {
      co_await notify.notified();
      if (jobs > 0) {
        --jobs;
        ++done;
      }
    }
  };
  auto a = corosim::spawn(worker).externally_cancellable();
  auto b = corosim::spawn(worker).externally_cancellable();
  for (int i = 0; i < 3; ++i) {
    ++jobs;
    notify.notify_one();
    co_await corosim::sleep_for(1ms);
  }
  a.cancel();
  b.cancel();
}

Task<void> condvar_workers() {
  corosim::Mutex mutex;
  corosim::CondVar ready;
  int jobs = 0;
  auto worker = [&]() -> Task<void> {
    for (;;) {
      auto guard = co_await mutex.lock();
      co_await ready.wait(guard, [&] { return jobs > 0; });
      --jobs;
    }
  };
  auto a = corosim::spawn(worker).externally_cancellable();
  auto b = corosim::spawn(worker).externally_cancellable();
  for (int i = 0; i < 3; ++i) {
    {
      auto guard = co_await mutex.lock();
      ++jobs;
    }
    ready.notify_one();
    co_await corosim::sleep_for(1ms);
  }
  a.cancel();
  b.cancel();
}

}  // namespace

TEST_CASE("Notify's ledger balances whenever its waiters are cancelled", "[notify][ledger]") {
  corosim::testing::require_sweeps_pass(notified_workers);
}

TEST_CASE("CondVar's ledger balances whenever its waiters are cancelled", "[condvar][ledger]") {
  corosim::testing::require_sweeps_pass(condvar_workers);
}

TEST_CASE("a CondVar hands work from producers to consumers under the lock", "[condvar]") {
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    std::vector<int> consumed;
    auto result = run_random(
        [&]() -> Task<void> {
          corosim::Mutex mutex;
          corosim::CondVar changed;
          std::deque<int> queue;
          bool closed = false;
          corosim::TaskScope consumers;
          for (int c = 0; c < 2; ++c) {
            consumers.spawn([&]() -> Task<void> {
              for (;;) {
                auto guard = co_await mutex.lock();
                co_await changed.wait(guard, [&] { return !queue.empty() || closed; });
                if (queue.empty()) co_return;
                consumed.push_back(queue.front());
                queue.pop_front();
                CORO_CHECK(guard.owns_lock());
              }
            });
          }
          for (int i = 0; i < 5; ++i) {
            {
              auto guard = co_await mutex.lock();
              queue.push_back(i);
            }
            changed.notify_one();
          }
          {
            auto guard = co_await mutex.lock();
            closed = true;
          }
          changed.notify_all();
          co_await consumers.join();
        },
        seed);
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(result.passed());
    REQUIRE(consumed.size() == 5);
  }
}

TEST_CASE("a CondVar notification with nobody waiting is not stored", "[condvar]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Mutex mutex;
    corosim::CondVar cv;
    cv.notify_one();
    auto guard = co_await mutex.lock();
    co_await cv.wait(guard);  // nobody will notify again: a deadlock
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result), Catch::Contains("condvar.wait") && Catch::Contains("condvar#"));
}

TEST_CASE("CondVar::wait without the lock is a usage error", "[condvar]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::CondVar cv;
    corosim::Mutex::Guard none;
    co_await cv.wait(none);
  });
  REQUIRE(checker_of(result) == "escaped-exception");
  REQUIRE_THAT(message_of(result), Catch::Contains("holds no lock"));
}

namespace {
struct NotifyState {
  std::shared_ptr<corosim::Notify> notify = std::make_shared<corosim::Notify>();
  std::shared_ptr<int> woke = std::make_shared<int>(0);
  corosim::JoinHandle<void> helper;
};
struct CondVarState {
  std::shared_ptr<corosim::Mutex> mutex = std::make_shared<corosim::Mutex>();
  std::shared_ptr<corosim::CondVar> cv = std::make_shared<corosim::CondVar>();
  std::shared_ptr<int> flag = std::make_shared<int>(0);
  std::shared_ptr<int> returned = std::make_shared<int>(0);
  corosim::JoinHandle<void> helper;
};
}  // namespace

TEST_CASE("cancel-safety table: Notify::notified", "[cancel_safety][table][notify]") {
  using corosim::testing::classify;
  constexpr corosim::CancelSafety kTotal = corosim::CancelSafety::total;
  corosim::testing::require_classes(
      classify<NotifyState>([] {
        corosim::CancelSafetySpec<NotifyState> spec;
        spec.make = [] {
          NotifyState state;
          state.helper = corosim::testing::after_1ms([notify = state.notify] { notify->notify_one(); });
          return state;
        };
        spec.operation = [](NotifyState& state) -> Task<void> {
          co_await state.notify->notified();
          ++*state.woke;
        };
        spec.observe = [](const NotifyState& state) {
          return std::to_string(*state.woke) + (state.notify->has_permit() ? " permit" : "");
        };
        return spec;
      }),
      kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: CondVar::wait", "[cancel_safety][table][condvar]") {
  // The helper sets the flag under the lock and notifies once, after 1ms.
  using corosim::testing::classify;
  constexpr corosim::CancelSafety kTotal = corosim::CancelSafety::total;
  corosim::testing::require_classes(
      classify<CondVarState>([] {
        corosim::CancelSafetySpec<CondVarState> spec;
        spec.make = [] {
          CondVarState state;
          state.helper =
              corosim::spawn([mutex = state.mutex, cv = state.cv, flag = state.flag]() -> Task<void> {
                co_await corosim::sleep_for(1ms);
                auto guard = co_await mutex->lock();
                *flag = 1;
                cv->notify_one();
              }).shield();
          return state;
        };
        spec.operation = [](CondVarState& state) -> Task<void> {
          auto guard = co_await state.mutex->lock();
          // Named, not a temporary in the co_await: g++ 12 destroys that twice
          // when the frame is dropped there (docs/user-guide.md, Compilers).
          const auto flag_set = [flag = state.flag] { return *flag != 0; };
          co_await state.cv->wait(guard, flag_set);
          ++*state.returned;
        };
        spec.observe = [](const CondVarState& state) {
          return std::to_string(*state.returned) + (state.mutex->is_locked() ? " locked" : "");
        };
        return spec;
      }),
      kTotal, kTotal, kTotal, kTotal);
}
