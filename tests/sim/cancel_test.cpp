// Injected cancellation: the exact semantics of each mode, the numbering of
// cancellation points, boundaries, and random injection.
#include "corosim/sim/cancel.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <memory>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::CancelMode;
using corosim::CancelPlan;
using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::DropFlag;
using namespace std::chrono_literals;

namespace {

corosim::RunResult run_with(const corosim::MainFactory& body, CancelPlan plan, std::uint64_t seed = 0) {
  corosim::FifoStrategy strategy;
  corosim::SimOptions options;
  options.cancel = std::move(plan);
  corosim::Simulator simulator(strategy, options);
  return simulator.run(body, seed);
}

// What an operation under test did; filled in by the operation itself.
struct Log {
  std::vector<std::string> lines;
  void add(std::string line) { lines.push_back(std::move(line)); }
  bool has(const std::string& line) const {
    for (const auto& l : lines) {
      if (l == line) return true;
    }
    return false;
  }
};

}  // namespace

TEST_CASE("cancellation points are where a canceller could act", "[cancel]") {
  auto body = []() -> Task<void> {
    co_await corosim::yield_now();  // main: nobody can cancel it, not a point
    auto child = corosim::spawn([]() -> Task<void> {
      co_await corosim::yield_now();        // point 0: main holds the handle and does not await it
      co_await corosim::sleep_for(1ms);     // point 1
      co_await corosim::this_stop_token();  // not a suspension point
    });
    co_await corosim::sleep_for(5ms);
    co_await child;
    auto joined = corosim::spawn([]() -> Task<void> { co_await corosim::yield_now(); });
    co_await joined;  // awaited at once: its owner never cancels it, no point
    corosim::spawn([]() -> Task<void> { co_await corosim::yield_now(); }).detach();  // detached: no point
    co_await corosim::sleep_for(1ms);
  };
  auto reference = run_with(body, CancelPlan{});
  REQUIRE(reference.passed());
  REQUIRE(reference.cancel_points == 2);
  REQUIRE(reference.injections.empty());
}

namespace {

// A child of its owner that awaits inside a shield and through a call.
Task<void> shielded_part() {
  co_await corosim::sleep_for(1ms);  // shielded: not a point
  co_await corosim::yield_now();     // nor this
}
constexpr std::uint32_t kCalledSleepLine = __LINE__ + 1;        // and the child's yield two lines below it
Task<void> called_part() { co_await corosim::sleep_for(1ms); }  // a point: the call is not, its sleep is
Task<void> owned_child() {
  co_await corosim::yield_now();  // a point: main holds the handle and does not await it
  co_await corosim::shielded(shielded_part());
  co_await called_part();
}
constexpr std::uint32_t kShortSleepLine = __LINE__ + 1;
Task<void> short_sleep() { co_await corosim::sleep_for(1ms); }

}  // namespace

TEST_CASE("awaits answered inline count the cancellation points the full hook counts", "[cancel]") {
  // With no plan, most awaits are answered inline (executor/await_gate.h),
  // the random strategy's yield draws included; recording the sites sends
  // every await through Simulator::before_await. Same points, same run.
  auto body = []() -> Task<void> {
    auto child = corosim::spawn(owned_child());
    co_await corosim::sleep_for(5ms);
    co_await child;
    auto joined = corosim::spawn(short_sleep());
    co_await joined;                         // its owner awaits it: no point
    corosim::spawn(short_sleep()).detach();  // detached: no point
    co_await corosim::sleep_for(2ms);
  };
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    corosim::RandomStrategy strategy;
    corosim::SimOptions options;
    options.decisions_of_passing_runs = true;
    corosim::Simulator inline_gate(strategy, options);
    const auto counted = inline_gate.run(body, seed);
    options.record_cancel_sites = true;
    corosim::Simulator full_hook(strategy, options);
    const auto recorded = full_hook.run(body, seed);
    REQUIRE(counted.passed());
    REQUIRE(recorded.passed());
    // The child's yield and its call's sleep always; the joined fiber's
    // sleep only when a forced suspension before `co_await joined` let it
    // run while main held its handle without awaiting it. Nothing shielded,
    // no call, nothing detached.
    std::vector<std::uint32_t> lines;
    for (const corosim::SourceLoc& site : recorded.cancel_sites) lines.push_back(site.line());
    std::sort(lines.begin(), lines.end());
    const std::vector<std::uint32_t> always{kCalledSleepLine, kCalledSleepLine + 2};
    const std::vector<std::uint32_t> with_joined{kCalledSleepLine, kCalledSleepLine + 2, kShortSleepLine};
    CHECK((lines == always || lines == with_joined));
    CHECK(counted.cancel_points == recorded.cancel_points);
    CHECK(recorded.cancel_sites.size() == recorded.cancel_points);
    CHECK(counted.trace_hash == recorded.trace_hash);
    CHECK(counted.decisions == recorded.decisions);
    CHECK(std::count_if(counted.decisions.begin(), counted.decisions.end(), [](const corosim::Decision& d) {
            return d.kind == corosim::DecisionKind::yield;
          }) > 0);
  }
}

TEST_CASE("a stall lands only if the program's canceller acts", "[cancel][stall]") {
  // The owner joins: stalling the child changes nothing, the run passes.
  auto joined = []() -> Task<void> {
    auto child = corosim::spawn([]() -> Task<int> {
      co_await corosim::yield_now();  // point 0 (main is still sleeping)
      co_return 7;
    });
    co_await corosim::sleep_for(1ms);
    CORO_CHECK(co_await child == 7);
  };
  auto kept = run_with(joined, CancelPlan::at(0, CancelMode::drop));
  REQUIRE(kept.passed());
  REQUIRE(kept.injections.size() == 1);
  CHECK(!kept.injections[0].landed);
  CHECK(kept.injections[0].canceller == corosim::Canceller::owner);
  CHECK(!kept.cancelled());

  // A timeout: the stalled operation loses to the timer, by the timeout's own drop.
  auto timed = []() -> Task<void> {
    corosim::Event never_set;
    auto result = co_await corosim::timeout(1h, [&]() -> Task<int> {
      co_await corosim::sleep_for(1ms);  // point 0
      co_return 1;
    }());
    CORO_CHECK(!result.has_value());
    CORO_CHECK(corosim::now() < 1h);  // the timer expired early: nothing waited an hour
  };
  auto fired = run_with(timed, CancelPlan::at(0, CancelMode::stop));  // the mode is the timeout's: drop
  INFO(corosim::testing::message_of(fired));
  REQUIRE(fired.passed());
  REQUIRE(fired.injections.size() == 1);
  CHECK(fired.injections[0].landed);
  CHECK(fired.injections[0].canceller == corosim::Canceller::timeout);
}

TEST_CASE("a fiber woken at its stalled point is held until its canceller acts", "[cancel][stall]") {
  Log log;
  auto body = [&]() -> Task<void> {
    corosim::Event go;
    auto child = corosim::spawn([&]() -> Task<void> {
      co_await go.wait();  // point 0: stalled here
      log.add("child ran on");
    });
    co_await corosim::yield_now();  // the child reaches its point and parks
    go.set();                       // wakes it at its stalled point: held for main
    co_await corosim::yield_now();  // main runs on; the held child must not
    co_await corosim::yield_now();
    log.add("main cancels");
    child.cancel();
    CORO_CHECK(child.is_finished());
  };
  auto result = run_with(body, CancelPlan::at(0, CancelMode::drop));
  INFO(corosim::testing::message_of(result));
  REQUIRE(result.passed());
  REQUIRE(result.injections.size() == 1);
  CHECK(result.injections[0].landed);
  CHECK(result.injections[0].canceller == corosim::Canceller::owner);
  CHECK(log.has("main cancels"));
  CHECK_FALSE(log.has("child ran on"));

  // Without the stall the same program lets the woken child run on at once.
  log.lines.clear();
  REQUIRE(run_with(body, CancelPlan{}).passed());
  CHECK(log.lines == std::vector<std::string>{"child ran on", "main cancels"});
}

TEST_CASE("drop: the chain is destroyed while the operand is pending", "[cancel][drop]") {
  Log log;
  bool flag_dropped = false;
  auto body = [&]() -> Task<void> {
    corosim::Event never;
    auto child = corosim::spawn([&]() -> Task<void> {
                   DropFlag flag(&flag_dropped);
                   log.add("before");
                   co_await never.wait();  // point 0
                   log.add("after");
                 }).externally_cancellable();
    try {
      co_await child;
      log.add("joined");
    } catch (const corosim::Cancelled&) {
      log.add("owner saw Cancelled");
    }
    never.set();  // no waiter is left registered: this wakes nobody
  };
  auto result = run_with(body, CancelPlan::at(0, CancelMode::drop));
  REQUIRE(result.passed());
  REQUIRE(result.injections.size() == 1);
  CHECK(result.injections[0].mode == CancelMode::drop);
  CHECK(std::string(result.injections[0].where.base_name()) == "cancel_test.cpp");
  CHECK(log.has("before"));
  CHECK_FALSE(log.has("after"));
  CHECK(log.has("owner saw Cancelled"));
  CHECK(flag_dropped);
}

TEST_CASE("drop at an operand that completes at once loses its result", "[cancel][drop]") {
  bool second_locked = false;
  auto body = [&]() -> Task<void> {
    corosim::Mutex mutex;
    auto child = corosim::spawn([&]() -> Task<void> {
                   auto guard = co_await mutex.lock();  // point 0: free, acquired at once
                   CORO_CHECK(false);                   // never runs
                 }).externally_cancellable();
    co_await corosim::cancellable([&]() -> Task<void> { co_return; }());
    try {
      co_await child;
    } catch (const corosim::Cancelled&) {
    }
    // The dropped awaiter held the lock unconsumed: it was released.
    auto guard = co_await mutex.lock();
    second_locked = true;
  };
  auto result = run_with(body, CancelPlan::at(0, CancelMode::drop));
  INFO(corosim::testing::message_of(result));
  REQUIRE(result.passed());
  REQUIRE(second_locked);
}

TEST_CASE("stop: the operand throws Cancelled and the fiber may clean up with awaits", "[cancel][stop]") {
  Log log;
  auto body = [&]() -> Task<void> {
    auto child = corosim::spawn([&]() -> Task<int> {
                   std::stop_token token = co_await corosim::this_stop_token();
                   std::stop_callback on_stop(token, [&] { log.add("stop callback"); });
                   bool cancelled = false;
                   try {
                     co_await corosim::sleep_for(1s);  // point 0
                     log.add("slept");
                   } catch (const corosim::Cancelled&) {
                     log.add(token.stop_requested() ? "caught, token stopped" : "caught, token not stopped");
                     cancelled = true;
                   }
                   if (cancelled) {  // C++ forbids co_await inside a handler: clean up after it
                     co_await corosim::sleep_for(1ms);  // point 1
                     log.add("cleaned up");
                   }
                   co_return 7;
                 }).externally_cancellable();
    const int value = co_await child;
    log.add("joined " + std::to_string(value));
  };
  auto result = run_with(body, CancelPlan::at(0, CancelMode::stop));
  REQUIRE(result.passed());
  CHECK(log.lines ==
        std::vector<std::string>{"stop callback", "caught, token stopped", "cleaned up", "joined 7"});
  CHECK(result.time_ns == 1'000'000);  // the 1s sleep never started
}

TEST_CASE("stop left uncaught unwinds the fiber and its owner sees Cancelled without a failure",
          "[cancel][stop]") {
  bool owner_saw = false;
  auto body = [&]() -> Task<void> {
    auto result = co_await corosim::cancellable([]() -> Task<int> {
      co_await corosim::yield_now();
      co_return 1;
    }());
    owner_saw = !result.has_value();
  };
  auto result = run_with(body, CancelPlan::at(0, CancelMode::stop));
  REQUIRE(result.passed());
  REQUIRE(owner_saw);
}

TEST_CASE("prompt: the operation completes and then the fiber is dropped before it resumes",
          "[cancel][prompt]") {
  SECTION("a mutex granted to a prompt-cancelled waiter is passed on") {
    bool waiter_ran_on = false;
    bool next_got_lock = false;
    auto body = [&]() -> Task<void> {
      corosim::Mutex mutex;
      auto held = co_await mutex.lock();
      auto waiter = corosim::spawn([&]() -> Task<void> {
                      auto guard = co_await mutex.lock();  // point 0: pending, then granted
                      waiter_ran_on = true;
                    }).externally_cancellable();
      co_await corosim::yield_now();
      held.unlock();  // grants the lock to `waiter`, which is then dropped
      auto mine = co_await mutex.lock();
      next_got_lock = true;
      try {
        co_await waiter;
      } catch (const corosim::Cancelled&) {
      }
    };
    auto result = run_with(body, CancelPlan::at(0, CancelMode::prompt));
    REQUIRE(result.passed());
    CHECK_FALSE(waiter_ran_on);
    CHECK(next_got_lock);
  }
  SECTION("a channel item is not lost: recv takes it only when it resumes") {
    std::vector<int> seen;
    auto body = [&]() -> Task<void> {
      auto [tx, rx] = corosim::channel<int>(4);
      auto reader = corosim::spawn([&]() -> Task<void> {
                      auto item = co_await rx.recv();  // point 0: pending until the send
                      seen.push_back(*item);
                    }).externally_cancellable();
      co_await corosim::yield_now();
      co_await tx.send(5);
      try {
        co_await reader;
      } catch (const corosim::Cancelled&) {
      }
      CORO_CHECK(rx.size() == 1);
      seen.push_back(*rx.try_recv());
    };
    auto result = run_with(body, CancelPlan::at(0, CancelMode::prompt));
    REQUIRE(result.passed());
    CHECK(seen == std::vector<int>{5});
  }
  SECTION("a sleep that fired is consumed by nobody") {
    Log log;
    auto body = [&]() -> Task<void> {
      auto sleeper = corosim::spawn([&]() -> Task<void> {
                       co_await corosim::sleep_for(5ms);  // point 0
                       log.add("woke");
                     }).externally_cancellable();
      try {
        co_await sleeper;
      } catch (const corosim::Cancelled&) {
        log.add("cancelled at " + std::to_string(corosim::now().count()) + "ns");
      }
    };
    auto result = run_with(body, CancelPlan::at(0, CancelMode::prompt));
    REQUIRE(result.passed());
    CHECK(log.lines == std::vector<std::string>{"cancelled at 5000000ns"});
  }
}

TEST_CASE("interrupt: the awaiter gets Cancelled while the operation runs on", "[cancel][interrupt]") {
  SECTION("a joined fiber keeps running after its joiner is interrupted") {
    Log log;
    auto body = [&]() -> Task<void> {
      auto worker = corosim::spawn([&]() -> Task<int> {
                      co_await corosim::sleep_for(5ms);
                      log.add("worker finished");
                      co_return 3;
                    }).shield();
      auto joiner = corosim::spawn([&]() -> Task<void> {
                      try {
                        co_await worker;  // point 0: interrupted while the worker sleeps
                        log.add("joined");
                      } catch (const corosim::Cancelled&) {
                        log.add("join interrupted at " + std::to_string(corosim::now().count()));
                      }
                    }).externally_cancellable();
      co_await joiner;
      CORO_CHECK(co_await worker == 3);  // the worker ran on, and can still be joined
    };
    auto result = run_with(body, CancelPlan::at(0, CancelMode::interrupt));
    REQUIRE(result.passed());
    CHECK(log.lines == std::vector<std::string>{"join interrupted at 0", "worker finished"});
  }
  SECTION("an interrupted lock waiter passes a later grant on") {
    bool next_got_lock = false;
    auto body = [&]() -> Task<void> {
      corosim::Mutex mutex;
      auto held = co_await mutex.lock();
      auto waiter = corosim::spawn([&]() -> Task<void> {
                      auto guard = co_await mutex.lock();  // point 0: pending, interrupted
                    }).externally_cancellable();
      co_await corosim::yield_now();
      held.unlock();
      auto mine = co_await mutex.lock();
      next_got_lock = true;
      try {
        co_await waiter;
      } catch (const corosim::Cancelled&) {
      }
    };
    auto result = run_with(body, CancelPlan::at(0, CancelMode::interrupt));
    REQUIRE(result.passed());
    CHECK(next_got_lock);
  }
}

TEST_CASE("prestart: the token is stopped before the fiber runs and its first await is cancelled",
          "[cancel][prestart]") {
  Log log;
  auto body = [&]() -> Task<void> {
    auto first = corosim::spawn([&]() -> Task<void> {
                   std::stop_token token = co_await corosim::this_stop_token();
                   log.add(token.stop_requested() ? "first: stopped at start" : "first: running");
                   co_await corosim::yield_now();
                   log.add("first: done");
                 }).externally_cancellable();
    auto second = corosim::spawn([&]() -> Task<void> {
                    std::stop_token token = co_await corosim::this_stop_token();
                    log.add(token.stop_requested() ? "second: stopped at start" : "second: running");
                    try {
                      co_await corosim::yield_now();  // its first point: completes with Cancelled
                      log.add("second: done");
                    } catch (const corosim::Cancelled&) {
                      log.add("second: cancelled");
                    }
                  }).externally_cancellable();
    co_await first;
    co_await second;
  };
  auto reference = run_with(body, CancelPlan{});
  REQUIRE(reference.cancel_starts == 2);
  log.lines.clear();
  auto result = run_with(body, CancelPlan::at(1, CancelMode::prestart));
  REQUIRE(result.passed());
  REQUIRE(result.injections.size() == 1);
  CHECK(result.injections[0].mode == CancelMode::prestart);
  CHECK(result.injections[0].fiber == 2);
  CHECK(log.lines == std::vector<std::string>{"first: running", "second: stopped at start", "first: done",
                                              "second: cancelled"});
}

TEST_CASE("a sweep over every point and mode leaks nothing and never fails a safe operation",
          "[cancel][sweep]") {
  auto body = []() -> Task<void> {
    corosim::Mutex mutex;
    corosim::Semaphore permits(1);
    auto [tx, rx] = corosim::channel<int>(1);
    corosim::TaskScope scope;
    // The producer owns its sender: if it is cancelled, the channel closes and
    // the consumer is not left waiting forever.
    // Both declared externally cancellable (so every mode is injected), and
    // the scope children that await them are the scope's to cancel.
    scope.spawn(
        [&](corosim::Sender<int> out) -> Task<void> {
          co_await corosim::cancellable([&]() -> Task<void> {
            auto guard = co_await mutex.lock();
            auto permit = co_await permits.acquire();
            co_await out.send(1);
            co_await corosim::sleep_for(1ms);
          }());
        },
        std::move(tx));
    scope.spawn([&]() -> Task<void> {
      co_await corosim::cancellable([&]() -> Task<void> {
        auto item = co_await rx.recv();
        CORO_CHECK(!item || *item == 1);
        auto guard = co_await mutex.lock();
        co_await corosim::yield_now();
      }());
    });
    co_await scope.join();
    CORO_CHECK(!mutex.is_locked());
    CORO_CHECK(permits.available() == 1);
  };
  auto reference = run_with(body, CancelPlan{});
  REQUIRE(reference.passed());
  REQUIRE(reference.cancel_points >= 6);
  const auto frames_before = corosim::detail::frames_live();
  REQUIRE(reference.cancel_starts == 2);  // the two externally cancellable operations
  for (CancelMode mode : corosim::all_cancel_modes()) {
    const std::uint64_t targets =
        mode == CancelMode::prestart ? reference.cancel_starts : reference.cancel_points;
    for (std::uint64_t point = 0; point < targets; ++point) {
      auto result = run_with(body, CancelPlan::at(point, mode));
      INFO(corosim::cancel_mode_name(mode)
           << " at point " << point << ": " << corosim::testing::message_of(result));
      REQUIRE(result.passed());
      REQUIRE(result.injections.size() == 1);
      REQUIRE(result.injections[0].point == point);
    }
  }
  REQUIRE(corosim::detail::frames_live() == frames_before);
}

TEST_CASE("a sweep finds an operation that is not cancel safe", "[cancel][sweep]") {
  // A transfer debits, awaits, then credits: cancelled in between, money vanishes.
  auto body = []() -> Task<void> {
    int from = 100;
    int to = 0;
    co_await corosim::cancellable([&]() -> Task<void> {
      from -= 10;
      co_await corosim::sleep_for(1ms);
      to += 10;
    }());
    CORO_CHECK_MSG(from + to == 100, "money is not conserved");
  };
  auto reference = run_with(body, CancelPlan{});
  REQUIRE(reference.passed());
  REQUIRE(reference.cancel_points == 1);
  auto dropped = run_with(body, CancelPlan::at(0, CancelMode::drop));
  REQUIRE(checker_of(dropped) == "check");
  auto past_the_end = run_with(body, CancelPlan::at(1, CancelMode::drop));
  REQUIRE(past_the_end.passed());
  REQUIRE(past_the_end.injections.empty());
}

TEST_CASE("a select arm is cancelled only by another arm that can win", "[cancel][select]") {
  // Stalled at its sleep, the first arm loses to the second, whose timer
  // fires early: select returns the second arm, as a slow first arm would.
  auto body = []() -> Task<void> {
    auto winner = co_await corosim::select(
        []() -> Task<int> {
          co_await corosim::sleep_for(1ms);  // point 0
          co_return 1;
        }(),
        []() -> Task<int> {
          co_await corosim::sleep_for(5ms);  // point 1 (if the first arm still runs)
          co_return 2;
        }());
    CORO_CHECK(winner.index() == 1);
  };
  auto lost = run_with(body, CancelPlan::at(0, CancelMode::drop));
  INFO(corosim::testing::message_of(lost));
  REQUIRE(lost.passed());
  REQUIRE(lost.injections.size() == 1);
  CHECK(lost.injections[0].landed);
  CHECK(lost.injections[0].canceller == corosim::Canceller::race);

  // A select of one arm has nobody to cancel it: no point, no Cancelled.
  auto alone = run_with(
      []() -> Task<void> {
        auto only = co_await corosim::select([]() -> Task<int> {
          co_await corosim::yield_now();
          co_return 4;
        }());
        CORO_CHECK(std::get<0>(only) == 4);
      },
      CancelPlan::at(0, CancelMode::drop));
  REQUIRE(alone.passed());
  REQUIRE(alone.cancel_points == 0);
  REQUIRE(alone.injections.empty());
}

namespace {

// Four scoped fibers, each sleeping five times inside a declared canceller:
// twenty chances for random injection, in four independent places.
Task<void> four_cancellable_sleepers() {
  corosim::TaskScope scope;
  for (int i = 0; i < 4; ++i) {
    scope.spawn([]() -> Task<void> {
      co_await corosim::cancellable([]() -> Task<void> {
        for (int j = 0; j < 5; ++j) co_await corosim::sleep_for(1ms);
      }());
    });
  }
  co_await scope.join();
}

}  // namespace

TEST_CASE("random injection is a recorded and replayable decision", "[cancel][random]") {
  const auto body = four_cancellable_sleepers;
  const auto plan = CancelPlan::random({CancelMode::drop, CancelMode::stop, CancelMode::prompt});
  std::set<std::string> modes_seen;
  int runs_with_injection = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    auto first = run_with(body, plan, seed);
    auto again = run_with(body, plan, seed);
    REQUIRE(first.passed());
    REQUIRE(first.decisions == again.decisions);
    REQUIRE(first.trace_hash == again.trace_hash);
    REQUIRE(first.injections.size() == again.injections.size());
    if (!first.injections.empty()) ++runs_with_injection;
    for (const auto& injection : first.injections)
      modes_seen.insert(corosim::cancel_mode_name(injection.mode));
    bool armed_decision = false;
    for (const auto& decision : first.decisions) {
      armed_decision = armed_decision || decision.kind == corosim::DecisionKind::cancel_arm;
    }
    REQUIRE(armed_decision);
  }
  CHECK(runs_with_injection > 5);
  CHECK(runs_with_injection < 40);
  CHECK(modes_seen.size() == 3);
}

TEST_CASE("random injection at most once stops after the first injection", "[cancel][random]") {
  // Fuzz runs use it: one input, one cancellation. Guards the `once` plan
  // against injecting on (tests/mutants/cancel-random-once-ignored).
  const auto body = four_cancellable_sleepers;
  auto plan = CancelPlan::random({CancelMode::drop, CancelMode::stop});
  std::size_t most_without_once = 0;
  std::size_t most_with_once = 0;
  int runs_with_injection = 0;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    plan.once = false;
    most_without_once = std::max(most_without_once, run_with(body, plan, seed).injections.size());
    plan.once = true;
    const auto once = run_with(body, plan, seed);
    REQUIRE(once.passed());
    most_with_once = std::max(most_with_once, once.injections.size());
    if (!once.injections.empty()) ++runs_with_injection;
  }
  CHECK(most_without_once >= 2);  // the body does give a second chance
  CHECK(most_with_once == 1);
  CHECK(runs_with_injection > 5);
}

TEST_CASE("ledger: a fiber that ends holding a lock taken without a guard is reported when main finishes",
          "[cancel][ledger]") {
  // Nothing is dropped, so only the audit at the end of main sees it (guards
  // that audit: tests/mutants/ledger-not-audited). The mutex outlives main's
  // frame, as a member of a longer-lived object would.
  std::shared_ptr<corosim::Mutex> kept;
  auto forgetful = [&kept]() -> Task<void> {
    kept = std::make_shared<corosim::Mutex>();
    auto worker = corosim::spawn([mutex = kept]() -> Task<void> {
      mutex->try_lock();  // and never unlocks it
      co_return;
    });
    co_await worker;
  };
  auto run = run_with(forgetful, CancelPlan{});
  kept.reset();
  REQUIRE(checker_of(run) == "ledger");
  CHECK_THAT(run.failure->message, Catch::Contains("is still locked by fiber 1, which has ended"));
}

TEST_CASE("ledger: a lock whose guard outlives the fiber that took it is not reported", "[cancel][ledger]") {
  // A worker takes the lock and returns its guard; main holds it while a
  // timeout drops a loser (which audits the ledgers) and past main's end,
  // in an object that outlives main's frame.
  std::shared_ptr<corosim::Mutex> mutex;
  corosim::Mutex::Guard kept;
  auto handed_back = [&]() -> Task<void> {
    mutex = std::make_shared<corosim::Mutex>();
    auto taker = corosim::spawn([&]() -> Task<corosim::Mutex::Guard> { co_return co_await mutex->lock(); });
    corosim::Mutex::Guard guard = co_await taker;
    auto nap = []() -> Task<void> { co_await corosim::sleep_for(2ms); };
    const bool slept = co_await corosim::timeout(1ms, nap());
    CORO_CHECK(!slept);
    kept = std::move(guard);
  };
  auto run = run_with(handed_back, CancelPlan{});
  kept.unlock();
  mutex.reset();
  INFO((run.failure ? run.failure->message : std::string()));
  CHECK(run.passed());
}

TEST_CASE("cancel modes parse from the command line form", "[cancel]") {
  auto all = corosim::parse_cancel_modes("drop,stop,prompt,interrupt");
  REQUIRE(all.ok());
  REQUIRE(all->size() == 4);
  REQUIRE(corosim::cancel_modes_string(*all) == "drop,stop,prompt,interrupt");
  REQUIRE_FALSE(corosim::parse_cancel_modes("drop,teleport").ok());
  REQUIRE_FALSE(corosim::parse_cancel_modes("drop,drop").ok());
  REQUIRE_FALSE(corosim::parse_cancel_modes("").ok());
}

TEST_CASE("ledger: a lock taken without a guard and cut by a cancellation is reported", "[cancel][ledger]") {
  auto careless = []() -> Task<void> {
    corosim::Mutex mutex;  // the ledger names this line
    co_await corosim::cancellable([&mutex]() -> Task<void> {
      if (mutex.try_lock()) {
        co_await corosim::sleep_for(1ms);  // cancelled here: unlock never runs
        mutex.unlock();
      }
    }());
    co_await corosim::sleep_for(1ms);
  };
  auto reference = run_with(careless, CancelPlan{});
  REQUIRE(reference.passed());
  auto dropped = run_with(careless, CancelPlan::at(0, CancelMode::drop));
  REQUIRE(checker_of(dropped) == "ledger");
  CHECK_THAT(dropped.failure->message,
             Catch::Contains("mutex#0 is still locked by fiber 1, which has ended"));
  CHECK_THAT(dropped.failure->message, Catch::Contains("created at tests/sim/cancel_test.cpp:"));
  // Checked right after the drop: the run stops there, before main goes on.
  CHECK(dropped.time_ns == 0);

  auto guarded = []() -> Task<void> {
    corosim::Mutex mutex;
    co_await corosim::cancellable([&mutex]() -> Task<void> {
      auto guard = co_await mutex.lock();
      co_await corosim::sleep_for(1ms);
    }());
  };
  for (CancelMode mode : {CancelMode::drop, CancelMode::stop, CancelMode::prompt}) {
    for (std::uint64_t point = 0; point < 2; ++point) {
      REQUIRE(run_with(guarded, CancelPlan::at(point, mode)).passed());
    }
  }
}
