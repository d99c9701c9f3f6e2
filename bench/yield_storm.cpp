// W1 yield storm: 1,000 fibers each yield 1,000 times on the simulator.
// Reports ns per switch (one scheduler step: pick, resume, park).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "runtime/corosim.h"
#include "sim/simulator.h"
#include "sim/strategy/fifo.h"
#include "sim/strategy/random.h"

namespace {

using corosim::Task;

Task<void> yielder(int yields, std::uint64_t* counter) {
  for (int i = 0; i < yields; ++i) {
    co_await corosim::yield_now();
    ++*counter;
  }
}

Task<void> storm(int fibers, int yields, std::uint64_t* counter) {
  corosim::TaskScope scope;
  for (int f = 0; f < fibers; ++f) scope.spawn(yielder(yields, counter));
  co_await scope.join();
}

template <class StrategyType>
void yield_storm(benchmark::State& state) {
  const int fibers = static_cast<int>(state.range(0));
  const int yields = static_cast<int>(state.range(1));
  StrategyType strategy;
  corosim::SimOptions options;
  options.steps_max = 100'000'000;
  corosim::Simulator simulator(strategy, options);
  std::uint64_t switches = 0;
  std::uint64_t seed = 0;
  for (auto _ : state) {
    std::uint64_t counter = 0;
    auto result = simulator.run([&] { return storm(fibers, yields, &counter); }, seed++);
    if (!result.passed()) state.SkipWithError("the storm failed");
    switches += result.steps;
    benchmark::DoNotOptimize(counter);
  }
  state.counters["ns_per_switch"] = benchmark::Counter(
      static_cast<double>(switches), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["switches"] = static_cast<double>(switches) / static_cast<double>(state.iterations());
}

BENCHMARK_TEMPLATE(yield_storm, corosim::FifoStrategy)->Args({1000, 1000})->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(yield_storm, corosim::RandomStrategy)->Args({1000, 1000})->Unit(benchmark::kMillisecond);

}  // namespace
