// W4-W7: what only the simulator does — virtual timers, exploring a scenario
// run after run, sweeping cancellation points — and its memory per live fiber.
// All with the random strategy, run as an explorer runs them (exploring_options).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "bench/instructions.h"
#include "bench/live_bytes.h"
#include "bench/workloads.h"
#include "corosim/runtime/corosim.h"
#include "corosim/harness/explore.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/random.h"

namespace corosim::bench {

namespace {

// W4: 100,000 fibers, each sleeping a virtual duration up to a second (a
// fixed pseudo-random function of its index, not a decision: the workload is
// the timers, not the draws).
constexpr int kSleepers = 100'000;

Task<void> sleeper(std::uint64_t index) {
  const std::uint64_t micros = (index * 2654435761u) % 1'000'000 + 1;
  co_await sleep_for(std::chrono::microseconds(micros));
}

Task<void> timers() {
  TaskScope scope;
  for (int i = 0; i < kSleepers; ++i) scope.spawn(sleeper(static_cast<std::uint64_t>(i)));
  co_await scope.join();
}

void w4_timers(benchmark::State& state) {
  RandomStrategy strategy;
  Simulator simulator(strategy, exploring_options(10'000'000));
  std::uint64_t seed = 0;
  for (auto _ : state) {
    auto result = simulator.run(timers, seed++);
    if (!result.passed()) state.SkipWithError(result.failure->message.c_str());
  }
  report_per_unit(state, kSleepers);
}

// W5: the lost update, three fibers of read, await, write; one run per seed,
// setup and reset included (a run is a simulator.run call).
Task<void> deposit(int* balance) {
  const int read = *balance;
  co_await yield_now();
  *balance = read + 10;
}

Task<void> lost_update() {
  int balance = 0;
  auto a = spawn(deposit(&balance));
  auto b = spawn(deposit(&balance));
  auto c = spawn(deposit(&balance));
  co_await a;
  co_await b;
  co_await c;
  benchmark::DoNotOptimize(balance);
}

void w5_exploration(benchmark::State& state) {
  RandomStrategy strategy;
  Simulator simulator(strategy, exploring_options(SimOptions{}.steps_max));
  std::uint64_t seed = 0;
  for (auto _ : state) {
    auto result = simulator.run(lost_update, seed++);
    benchmark::DoNotOptimize(result.steps);
  }
  report_per_unit(state, 1);
}

// W5 for --instructions: runs on a warm simulator, counted per run.
constexpr std::uint64_t kW5CountedRuns = 10'000;

void w5_once(bool measured) {
  RandomStrategy strategy;
  Simulator simulator(strategy, exploring_options(SimOptions{}.steps_max));
  std::uint64_t seed = 0;
  for (; seed < 100; ++seed) benchmark::DoNotOptimize(simulator.run(lost_update, seed).steps);
  if (measured) instructions_begin();
  for (std::uint64_t run = 0; run < kW5CountedRuns; ++run) {
    benchmark::DoNotOptimize(simulator.run(lost_update, seed++).steps);
  }
  if (measured) instructions_end();
}

// W6: a full cancellation sweep (every point, every mode) of an operation
// with 1,000 suspension points, spawned as a cancellable fiber.
constexpr int kSweepPoints = 1000;

Task<void> thousand_points() {
  for (int i = 0; i < kSweepPoints; ++i) co_await yield_now();
}

// Declared externally cancellable: its owner awaits it, so otherwise no
// canceller could act at its points and the sweep would be a single run.
Task<void> sweep_target() {
  auto operation = spawn(thousand_points()).externally_cancellable();
  try {
    co_await operation;
  } catch (const Cancelled&) {
  }
}

void w6_cancel_sweep(benchmark::State& state) {
  const Scenario scenario{"bench/thousand_points", passes(), &sweep_target, {}};
  ExploreOptions options;
  options.seed_count = 1;
  options.cancel = CancelExploration::sweep;
  options.determinism_check_every = 0;
  std::uint64_t runs = 0;
  for (auto _ : state) {
    const ScenarioReport report = explore_scenario(scenario, options).value();
    if (!report.met) state.SkipWithError("the sweep failed");
    runs = report.runs;
    // Every point in every mode, or the figure times something else.
    if (runs < 4 * kSweepPoints) state.SkipWithError("the sweep did not visit every point in every mode");
  }
  report_per_unit(state, 1);
  state.counters["runs_per_sweep"] = static_cast<double>(runs);
}

// W7: N fibers alive at once, each parked on an event and then yielding
// kSwitches times. Bytes per live fiber beyond its coroutine frames, measured
// while all N are parked; and the time per switch at that size.
constexpr int kSwitches = 4;

Task<void> parked(Event* go) {
  co_await go->wait();
  for (int i = 0; i < kSwitches; ++i) co_await yield_now();
}

struct Census {
  std::int64_t bytes_per_fiber = 0;
};

Task<void> crowd(int fibers, Census* census) {
  Event go;
  TaskScope scope;
  // The frame cache's bytes are heap that neither frames nor the executor
  // hold: spawning takes frames from it without new heap.
  const auto not_frames = [] {
    return live_bytes() - detail::frame_bytes_live() - static_cast<std::int64_t>(detail::frame_cache_bytes());
  };
  const std::int64_t before = not_frames();
  for (int i = 0; i < fibers; ++i) scope.spawn(parked(&go));
  co_await yield_now();  // every fiber has run to its park
  const std::int64_t beyond_frames = not_frames() - before;
  census->bytes_per_fiber = beyond_frames / fibers;
  go.set();
  co_await scope.join();
}

void w7_live_fibers(benchmark::State& state) {
  const int fibers = static_cast<int>(state.range(0));
  RandomStrategy strategy;
  const SimOptions options = exploring_options(100'000'000);
  Census census;
  {
    // Memory on a fresh simulator: everything N live fibers cost, the
    // simulator's buffers (run queue, trace, fiber table) growing with them
    // included.
    Simulator fresh(strategy, options);
    track_live_bytes(true);
    fresh.run([&] { return crowd(fibers, &census); }, 0);
    track_live_bytes(false);
  }
  // Time on a warm one, as runs after the first are.
  Census ignored;
  Simulator simulator(strategy, options);
  simulator.run([&] { return crowd(fibers, &ignored); }, 0);
  std::uint64_t seed = 1;
  std::uint64_t steps = 0;
  for (auto _ : state) {
    auto result = simulator.run([&] { return crowd(fibers, &ignored); }, seed++);
    if (!result.passed()) state.SkipWithError(result.failure->message.c_str());
    steps += result.steps;
  }
  state.counters["per_unit"] = benchmark::Counter(static_cast<double>(steps),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_fiber"] = static_cast<double>(census.bytes_per_fiber);
}

const bool registered = [] {
  benchmark::RegisterBenchmark((std::string(kW4) + "/corosim_random").c_str(), w4_timers)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark((std::string(kW5) + "/corosim_random").c_str(), w5_exploration)
      ->Unit(benchmark::kMicrosecond);
  one_shots().push_back(OneShot{std::string(kW5) + "/corosim_random", kW5CountedRuns, &w5_once});
  benchmark::RegisterBenchmark((std::string(kW6) + "/corosim_random").c_str(), w6_cancel_sweep)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark((std::string(kW7) + "/corosim_random").c_str(), w7_live_fibers)
      ->Arg(1'000)
      ->Arg(100'000)
      ->Arg(1'000'000)
      ->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace

}  // namespace corosim::bench
