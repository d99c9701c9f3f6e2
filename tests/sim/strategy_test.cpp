// The exploration strategies: pct's priorities and change points, dfs's
// bounded enumeration and its proof of exhaustion, portfolio's rotation.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/harness/explore.h"
#include "corosim/scenarios/registry.h"
#include "corosim/scenarios/sctbench/port.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/dfs.h"
#include "corosim/sim/strategy/pct.h"
#include "corosim/sim/strategy/portfolio.h"
#include "corosim/sim/strategy/random.h"
#include "corosim/sim/strategy/replay.h"

using corosim::Task;

namespace {

// n fibers each append their id after one await: the order is the schedule.
corosim::MainFactory orderings(int fibers, std::vector<std::string>& seen) {
  return [fibers, &seen]() -> Task<void> {
    std::string order;
    std::vector<corosim::JoinHandle<void>> handles;
    for (int i = 0; i < fibers; ++i) {
      handles.push_back(corosim::spawn([i, &order]() -> Task<void> {
        co_await corosim::yield_now();
        order += static_cast<char>('a' + i);
      }));
    }
    for (auto& handle : handles) co_await handle;
    seen.push_back(order);
  };
}

}  // namespace

TEST_CASE("dfs enumerates every ordering once and then reports exhaustion", "[strategy][dfs]") {
  // Each run explores until the strategy is exhausted; returns the orders seen
  // and checks that no decision stream was run twice.
  auto explore = [](std::uint32_t bound, std::vector<std::string>& seen) {
    corosim::DfsStrategy dfs(bound);
    corosim::Simulator simulator(dfs);
    std::set<std::vector<std::uint64_t>> streams;
    std::uint64_t runs = 0;
    while (!dfs.exhausted() && runs < 10'000) {
      const corosim::RunResult run = simulator.run(orderings(3, seen), runs);
      REQUIRE(run.passed());
      std::vector<std::uint64_t> values;
      for (const corosim::Decision& decision : run.decisions) values.push_back(decision.value);
      CHECK(streams.insert(values).second);
      ++runs;
    }
    REQUIRE(dfs.exhausted());
    return dfs.bound_description();
  };
  std::vector<std::string> plain;
  CHECK(explore(0, plain) ==
        "within deviation bound 0 (pre-emptions, non-default data, timer and cancellation choices)");
  CHECK(plain == std::vector<std::string>{"abc"});  // no deviation: fifo order, one run
  std::vector<std::string> seen;
  explore(4, seen);  // running the k-th ready fiber costs k: "cba" costs 3
  const std::set<std::string> distinct(seen.begin(), seen.end());
  CHECK(distinct.size() == 6);  // 3! orders of the appends
  CHECK(distinct.count("abc") == 1);
  CHECK(distinct.count("cba") == 1);
  CHECK(seen.front() == "abc");  // the cheapest stream first
}

TEST_CASE("dfs with a larger preemption bound tries more schedules", "[strategy][dfs]") {
  auto count = [](std::uint32_t bound) {
    std::vector<std::string> seen;
    corosim::DfsStrategy dfs(bound);
    corosim::Simulator simulator(dfs);
    std::uint64_t runs = 0;
    while (!dfs.exhausted()) {
      simulator.run(orderings(2, seen), runs);
      ++runs;
    }
    return runs;
  };
  const std::uint64_t none = count(0);
  const std::uint64_t one = count(1);
  const std::uint64_t two = count(2);
  CHECK(none < one);
  CHECK(one < two);
}

TEST_CASE("dfs exhaustion is reported by explore and run prints the proof", "[strategy][dfs]") {
  const corosim::Scenario* fixed = corosim::ScenarioRegistry::global().find("deadlock/lock_order_fixed");
  REQUIRE(fixed != nullptr);
  corosim::ExploreOptions options;
  options.strategy = "dfs";
  options.seed_count = 1'000'000;
  const corosim::ScenarioReport report = corosim::explore_scenario(*fixed, options).value();
  CHECK(report.met);
  CHECK(report.exhausted);
  CHECK(report.failures == 0);
  CHECK(report.runs < 1'000'000);
  CHECK(report.bound ==
        "within deviation bound 2 (pre-emptions, non-default data, timer and cancellation choices)");

  const corosim::Scenario* buggy = corosim::ScenarioRegistry::global().find("deadlock/lock_order");
  const corosim::ScenarioReport found = corosim::explore_scenario(*buggy, options).value();
  CHECK(found.met);  // dfs finds the deadlock
  CHECK(found.failures > 0);
}

TEST_CASE("pct runs the highest-priority fiber and is deterministic per seed", "[strategy][pct]") {
  std::vector<std::string> first;
  std::vector<std::string> again;
  std::set<std::string> orders;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    corosim::PctStrategy pct(1);  // depth 1: no change points, a fixed priority order
    corosim::Simulator simulator(pct);
    std::vector<std::string> seen;
    REQUIRE(simulator.run(orderings(3, seen), seed).passed());
    orders.insert(seen.front());
    corosim::PctStrategy same(1);
    corosim::Simulator rerun(same);
    std::vector<std::string> seen_again;
    rerun.run(orderings(3, seen_again), seed);
    CHECK(seen == seen_again);
  }
  CHECK(orders.size() == 6);  // random priorities reach every order
}

TEST_CASE("pct finds the lock-order deadlock and passes its fix", "[strategy][pct]") {
  corosim::ExploreOptions options;
  options.strategy = "pct:2";
  options.seed_count = 500;
  const auto& registry = corosim::ScenarioRegistry::global();
  CHECK(corosim::explore_scenario(*registry.find("deadlock/lock_order"), options).value().failures > 0);
  CHECK(corosim::explore_scenario(*registry.find("deadlock/lock_order_fixed"), options).value().failures ==
        0);
}

TEST_CASE("portfolio rotates its strategies and reports dfs exhaustion as a proof", "[strategy][portfolio]") {
  const corosim::Scenario* fixed = corosim::ScenarioRegistry::global().find("race/lost_update_fixed");
  corosim::ExploreOptions options;
  options.strategy = "portfolio";
  options.seed_count = 3000;
  const corosim::ScenarioReport report = corosim::explore_scenario(*fixed, options).value();
  CHECK(report.met);
  CHECK(report.exhausted);
  // dfs dropped out when exhausted; random and pct went on to the budget.
  CHECK(report.runs >= 3000);
  CHECK(report.enumerated_runs > 0);
  CHECK(report.enumerated_runs < report.runs / 3);
  const corosim::Scenario* buggy = corosim::ScenarioRegistry::global().find("race/lost_update");
  options.seed_count = 300;
  CHECK(corosim::explore_scenario(*buggy, options).value().failures > 0);
}

TEST_CASE("pct keeps a yielder's priority so yield_now points find what plain points find",
          "[strategy][pct]") {
  // Every scheduling point of these SCTBench ports is `co_await yield_now()`.
  // pct used to drop every yielder below the rest, which made it round-robin:
  // it found none of these in 10,000 schedules.
  corosim::sctbench::point_style() = corosim::sctbench::PointStyle::yield;
  const auto& registry = corosim::ScenarioRegistry::global();
  corosim::ExploreOptions options;
  options.strategy = "pct";
  options.cancel = corosim::CancelExploration::none;
  options.seed_count = 3000;
  for (const char* name : {"sctbench/account", "sctbench/bluetooth_driver", "sctbench/reorder_5",
                           "sctbench/stack", "sctbench/twostage"}) {
    INFO(name);
    CHECK(corosim::explore_scenario(*registry.find(name), options).value().failures > 0);
  }
  corosim::sctbench::point_style() = corosim::sctbench::PointStyle::plain;
}

TEST_CASE("pct lowers a fiber that spins on yield_now so a spin-wait cannot livelock", "[strategy][pct]") {
  auto spin = []() -> Task<void> {
    bool flag = false;
    auto waiter = corosim::spawn([&flag]() -> Task<void> {
      while (!flag) co_await corosim::yield_now();
    });
    auto setter = corosim::spawn([&flag]() -> Task<void> {
      for (int i = 0; i < 3; ++i) co_await corosim::yield_now();
      flag = true;
    });
    co_await waiter;
    co_await setter;
  };
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    corosim::PctStrategy pct(3);
    corosim::SimOptions options;
    options.steps_max = 2'000;  // a spinner never lowered would run into it
    corosim::Simulator simulator(pct, options);
    const corosim::RunResult run = simulator.run(spin, seed);
    INFO("seed " << seed << ": " << (run.failure ? run.failure->message : std::string()));
    CHECK(run.passed());
  }
}

TEST_CASE("strategy names are parsed with their parameters and bad ones rejected", "[strategy]") {
  for (const char* name : {"fifo", "random", "pct", "pct:5", "pct:3:200", "dfs", "dfs:0", "portfolio"}) {
    INFO(name);
    CHECK(corosim::make_strategy(name).ok());
  }
  CHECK((*corosim::make_strategy("pct:5"))->describe() == "pct:5");
  // A run names the step count it drew its change points over: with the seed, it makes the run again.
  auto pct = *corosim::make_strategy("pct:3:200");
  pct->begin_run(7);
  CHECK(pct->rerun_spec() == "pct:3:200");
  CHECK(pct->seed_pure());
  CHECK_FALSE((*corosim::make_strategy("pct"))->seed_pure());
  CHECK((*corosim::make_strategy("random"))->rerun_spec() == "random");
  CHECK((*corosim::make_strategy("dfs"))->rerun_spec().empty());
  for (const char* bad :
       {"pct:0", "pct:x", "pct:3:0", "pct:3:x", "pct:3:", "dfs:-1", "dfs:99", "dfs:2:5", "chaos"}) {
    INFO(bad);
    CHECK_FALSE(corosim::make_strategy(bad).ok());
  }
}

TEST_CASE("buggify: sites armed per run fire by recorded decisions and never on the real-time loop",
          "[buggify]") {
  // Two call sites, called many times per run.
  auto program = [](int& slow, int& failed) {
    return [&slow, &failed]() -> Task<void> {
      for (int i = 0; i < 40; ++i) {
        if (corosim::buggify()) ++slow;
        if (corosim::buggify()) ++failed;
        co_await corosim::yield_now();
      }
    };
  };
  int runs_with_faults = 0;
  int runs_without = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    int slow = 0;
    int failed = 0;
    corosim::RandomStrategy strategy;
    corosim::Simulator simulator(strategy);
    const corosim::RunResult run = simulator.run(program(slow, failed), seed);
    REQUIRE(run.passed());
    (slow + failed > 0 ? runs_with_faults : runs_without) += 1;
    CHECK(slow <= 40);
    // The same decisions give the same faults.
    int slow_again = 0;
    int failed_again = 0;
    corosim::ReplayStrategy replay(run.decisions, corosim::ReplayStrategy::Mode::halt);
    corosim::Simulator again(replay);
    CHECK(again.run(program(slow_again, failed_again), seed).trace_hash == run.trace_hash);
    CHECK(slow_again == slow);
    CHECK(failed_again == failed);
  }
  CHECK(runs_with_faults > 50);  // armed half the time per site, firing a quarter of calls
  CHECK(runs_without > 10);      // both sites unarmed: a quarter of the runs
  int slow = 0;
  int failed = 0;
  corosim::run_realtime(program(slow, failed)());
  CHECK(slow + failed == 0);
}

TEST_CASE("timer jitter delays sleeps by recorded decisions so racing timers meet both orders",
          "[strategy][timers]") {
  // A 10ms timeout races a reply that takes 8ms: on time, the reply always wins.
  auto race = [](bool& timed_out) {
    return [&timed_out]() -> Task<void> {
      auto reply = []() -> Task<int> {
        co_await corosim::sleep_for(std::chrono::milliseconds(8));
        co_return 1;
      };
      auto got = co_await corosim::timeout(std::chrono::milliseconds(10), reply());
      timed_out = !got.has_value();
    };
  };
  std::set<bool> outcomes;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    bool timed_out = false;
    corosim::RandomStrategy strategy;
    corosim::SimOptions options;
    corosim::Simulator on_time(strategy, options);
    REQUIRE(on_time.run(race(timed_out), seed).passed());
    CHECK_FALSE(timed_out);
    options.timer_jitter_ns = 5'000'000;
    corosim::Simulator jittered(strategy, options);
    const corosim::RunResult run = jittered.run(race(timed_out), seed);
    REQUIRE(run.passed());
    outcomes.insert(timed_out);
    bool replayed = false;
    corosim::ReplayStrategy replay(run.decisions, corosim::ReplayStrategy::Mode::halt);
    corosim::Simulator again(replay, options);
    CHECK(again.run(race(replayed), seed).trace_hash == run.trace_hash);
    CHECK(replayed == timed_out);
  }
  CHECK(outcomes.size() == 2);
}

TEST_CASE("random strategy: a crowd of thousands is scheduled by its seed and replays from its decisions",
          "[strategy][random]") {
  // Past RandomStrategy::kCrowd ready fibers, picks come from the crowd's own
  // generator and the simulator prefetches the ones it foresees (which reads
  // queued records: ASan checks that it reads no other).
  constexpr int kFibers = 5'000;
  auto program = [](std::vector<int>& order) {
    return [&order]() -> Task<void> {
      corosim::TaskScope scope;
      for (int i = 0; i < kFibers; ++i) {
        scope.spawn([i, &order]() -> Task<void> {
          co_await corosim::yield_now();
          order.push_back(i);
          co_await corosim::yield_now();
          order.push_back(i);
        });
      }
      co_await scope.join();
    };
  };
  auto explored = [&](std::uint64_t seed, std::vector<int>& order) {
    corosim::RandomStrategy strategy;
    corosim::Simulator simulator(strategy);
    return simulator.run(program(order), seed);
  };
  std::vector<int> first;
  const corosim::RunResult run = explored(3, first);
  REQUIRE(run.passed());
  REQUIRE(first.size() == 2u * kFibers);
  std::vector<int> again;
  CHECK(explored(3, again).trace_hash == run.trace_hash);
  CHECK(again == first);
  std::vector<int> replayed;
  corosim::ReplayStrategy replay(run.decisions, corosim::ReplayStrategy::Mode::halt);
  corosim::Simulator simulator(replay);
  CHECK(simulator.run(program(replayed), 3).trace_hash == run.trace_hash);
  CHECK(replayed == first);
  std::vector<int> other;
  CHECK(explored(4, other).passed());
  CHECK(other != first);
}
