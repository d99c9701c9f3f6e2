// W1-W3, each on three executors side by side: the simulator (fifo and
// random strategies, run as an explorer runs them: exploring_options), the bare
// run loop (bench/bare_loop.h) and standalone asio's single-threaded
// io_context with C++20 coroutines. Every figure is per unit of the workload
// (a yield, a round trip, a task), so the columns divide.
#include <benchmark/benchmark.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bare_loop.h"
#include "bench/instructions.h"
#include "bench/workloads.h"
#include "corosim/runtime/corosim.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/fifo.h"
#include "corosim/sim/strategy/random.h"

namespace corosim::bench {

namespace {

// COROSIM_BENCH_SMOKE set (bench.smoke, which runs under ASan too) shrinks
// W1-W3 a hundredfold: an iteration of W2 or W3 is a million units, 17 s for
// asio's under ASan, and the smoke judges no figure.
int scaled(int units) { return std::getenv("COROSIM_BENCH_SMOKE") != nullptr ? units / 100 : units; }

constexpr int kFibers = 1000;
const int kYields = scaled(1000);
const int kRoundTrips = scaled(1'000'000);
const int kTasks = scaled(1'000'000);

// The opaque sink: work the compiler must assume is observed.
void touch(std::uint64_t& counter) {
  ++counter;
  benchmark::DoNotOptimize(counter);
}

// --- the simulator ---------------------------------------------------------

Task<void> sim_yielder(std::uint64_t* counter) {
  for (int i = 0; i < kYields; ++i) {
    co_await yield_now();
    touch(*counter);
  }
}

Task<void> sim_storm(std::uint64_t* counter) {
  TaskScope scope;
  for (int f = 0; f < kFibers; ++f) scope.spawn(sim_yielder(counter));
  co_await scope.join();
}

Task<void> sim_ponger(Receiver<int> in, Sender<int> out) {
  while (auto value = co_await in.recv()) co_await out.send(*value + 1);
}

Task<void> sim_ping_pong(std::uint64_t* counter) {
  auto [to_tx, to_rx] = channel<int>(1);
  auto [back_tx, back_rx] = channel<int>(1);
  auto ponger = spawn(sim_ponger(std::move(to_rx), std::move(back_tx)));
  for (int i = 0; i < kRoundTrips; ++i) {
    co_await to_tx.send(i);
    auto value = co_await back_rx.recv();
    *counter += static_cast<std::uint64_t>(*value);
  }
  {
    auto closing = std::move(to_tx);
  }
  co_await ponger;
}

Task<void> sim_tiny(std::uint64_t* counter) {
  touch(*counter);
  co_return;
}

Task<void> sim_spawn_join(std::uint64_t* counter) {
  for (int i = 0; i < kTasks; ++i) {
    auto handle = spawn(sim_tiny(counter));
    co_await handle;
  }
}

template <class StrategyType, Task<void> (*Body)(std::uint64_t*)>
void on_simulator(benchmark::State& state, std::uint64_t units) {
  StrategyType strategy;
  Simulator simulator(strategy, exploring_options(100'000'000));
  std::uint64_t seed = 0;
  std::uint64_t steps = 0;
  for (auto _ : state) {
    std::uint64_t counter = 0;
    auto result = simulator.run([&] { return Body(&counter); }, seed++);
    if (!result.passed()) state.SkipWithError(result.failure->message.c_str());
    steps += result.steps;
    benchmark::DoNotOptimize(counter);
  }
  report_per_unit(state, units);
  state.counters["steps_per_unit"] =
      static_cast<double>(steps) / static_cast<double>(state.iterations() * units);
}

// One warm simulator per process, as in the timed loop above: the trace and
// queues keep their capacity from run to run.
template <class StrategyType, Task<void> (*Body)(std::uint64_t*)>
void simulator_once(bool measured) {
  static StrategyType strategy;
  static Simulator* simulator = new Simulator(strategy, exploring_options(100'000'000));
  static std::uint64_t seed = 0;
  std::uint64_t counter = 0;
  if (measured) instructions_begin();
  const RunResult result = simulator->run([&] { return Body(&counter); }, seed++);
  if (measured) instructions_end();
  if (!result.passed()) std::abort();
  benchmark::DoNotOptimize(counter);
}

// --- the bare loop ---------------------------------------------------------

bare::Task bare_yielder(std::uint64_t* counter) {
  for (int i = 0; i < kYields; ++i) {
    co_await bare::yield{};
    touch(*counter);
  }
}

bare::Task bare_storm(std::uint64_t* counter) {
  std::vector<bare::Task> tasks;
  tasks.reserve(kFibers);
  for (int f = 0; f < kFibers; ++f) {
    tasks.push_back(bare_yielder(counter));
    tasks.back().spawn();
  }
  for (bare::Task& task : tasks) co_await task.join();
}

bare::Task bare_ponger(bare::Channel<int>* in, bare::Channel<int>* out) {
  for (int i = 0; i < kRoundTrips; ++i) {
    const int value = co_await in->recv();
    co_await out->send(value + 1);
  }
}

bare::Task bare_ping_pong(std::uint64_t* counter) {
  bare::Channel<int> to;
  bare::Channel<int> back;
  bare::Task ponger = bare_ponger(&to, &back);
  ponger.spawn();
  for (int i = 0; i < kRoundTrips; ++i) {
    co_await to.send(i);
    *counter += static_cast<std::uint64_t>(co_await back.recv());
  }
  co_await ponger.join();
}

bare::Task bare_tiny(std::uint64_t* counter) {
  touch(*counter);
  co_return;
}

bare::Task bare_spawn_join(std::uint64_t* counter) {
  for (int i = 0; i < kTasks; ++i) {
    bare::Task task = bare_tiny(counter);
    task.spawn();
    co_await task.join();
  }
}

template <bare::Task (*Body)(std::uint64_t*)>
void on_bare_loop(benchmark::State& state, std::uint64_t units) {
  for (auto _ : state) {
    std::uint64_t counter = 0;
    bare::Task::run(Body(&counter));
    benchmark::DoNotOptimize(counter);
  }
  report_per_unit(state, units);
}

template <bare::Task (*Body)(std::uint64_t*)>
void bare_loop_once(bool measured) {
  std::uint64_t counter = 0;
  if (measured) instructions_begin();
  bare::Task::run(Body(&counter));
  if (measured) instructions_end();
  benchmark::DoNotOptimize(counter);
}

// --- asio ------------------------------------------------------------------

::asio::awaitable<void> asio_yielder(std::uint64_t* counter) {
  auto executor = co_await ::asio::this_coro::executor;
  for (int i = 0; i < kYields; ++i) {
    co_await ::asio::post(executor, ::asio::use_awaitable);
    touch(*counter);
  }
}

::asio::awaitable<void> asio_storm(std::uint64_t* counter) {
  auto executor = co_await ::asio::this_coro::executor;
  for (int f = 0; f < kFibers; ++f) ::asio::co_spawn(executor, asio_yielder(counter), ::asio::detached);
  co_return;  // the io_context runs until every yielder is done
}

using AsioChannel = ::asio::experimental::channel<void(::asio::error_code, int)>;

::asio::awaitable<void> asio_ponger(AsioChannel* in, AsioChannel* out) {
  for (int i = 0; i < kRoundTrips; ++i) {
    const int value = co_await in->async_receive(::asio::use_awaitable);
    co_await out->async_send(::asio::error_code{}, value + 1, ::asio::use_awaitable);
  }
}

::asio::awaitable<void> asio_ping_pong(std::uint64_t* counter) {
  auto executor = co_await ::asio::this_coro::executor;
  AsioChannel to(executor, 1);
  AsioChannel back(executor, 1);
  ::asio::co_spawn(executor, asio_ponger(&to, &back), ::asio::detached);
  for (int i = 0; i < kRoundTrips; ++i) {
    co_await to.async_send(::asio::error_code{}, i, ::asio::use_awaitable);
    *counter += static_cast<std::uint64_t>(co_await back.async_receive(::asio::use_awaitable));
  }
}

::asio::awaitable<void> asio_tiny(std::uint64_t* counter) {
  touch(*counter);
  co_return;
}

::asio::awaitable<void> asio_spawn_join(std::uint64_t* counter) {
  auto executor = co_await ::asio::this_coro::executor;
  for (int i = 0; i < kTasks; ++i)
    co_await ::asio::co_spawn(executor, asio_tiny(counter), ::asio::use_awaitable);
}

template <::asio::awaitable<void> (*Body)(std::uint64_t*)>
void on_asio(benchmark::State& state, std::uint64_t units) {
  for (auto _ : state) {
    std::uint64_t counter = 0;
    ::asio::io_context context(1);
    ::asio::co_spawn(context, Body(&counter), ::asio::detached);
    context.run();
    benchmark::DoNotOptimize(counter);
  }
  report_per_unit(state, units);
}

template <::asio::awaitable<void> (*Body)(std::uint64_t*)>
void asio_once(bool measured) {
  std::uint64_t counter = 0;
  if (measured) instructions_begin();
  ::asio::io_context context(1);
  ::asio::co_spawn(context, Body(&counter), ::asio::detached);
  context.run();
  if (measured) instructions_end();
  benchmark::DoNotOptimize(counter);
}

// --- registration ------------------------------------------------------------

template <class Workload>
void register_three(const char* workload, std::uint64_t units, Workload) {
  using W = Workload;
  auto add = [&](const char* executor, void (*run)(benchmark::State&, std::uint64_t), void (*once)(bool)) {
    const std::string name = std::string(workload) + "/" + executor;
    benchmark::RegisterBenchmark(name.c_str(), [run, units](benchmark::State& state) {
      run(state, units);
    })->Unit(benchmark::kMillisecond);
    one_shots().push_back(OneShot{name, units, once});
  };
  add("bare", &on_bare_loop<W::bare>, &bare_loop_once<W::bare>);
  add("corosim_fifo", &on_simulator<FifoStrategy, W::sim>, &simulator_once<FifoStrategy, W::sim>);
  add("corosim_random", &on_simulator<RandomStrategy, W::sim>, &simulator_once<RandomStrategy, W::sim>);
  add("asio", &on_asio<W::asio>, &asio_once<W::asio>);
}

struct YieldStorm {
  static constexpr auto bare = &bare_storm;
  static constexpr auto sim = &sim_storm;
  static constexpr auto asio = &asio_storm;
};
struct PingPong {
  static constexpr auto bare = &bare_ping_pong;
  static constexpr auto sim = &sim_ping_pong;
  static constexpr auto asio = &asio_ping_pong;
};
struct SpawnJoin {
  static constexpr auto bare = &bare_spawn_join;
  static constexpr auto sim = &sim_spawn_join;
  static constexpr auto asio = &asio_spawn_join;
};

const bool registered = [] {
  register_three(kW1, std::uint64_t{kFibers} * kYields, YieldStorm{});
  register_three(kW2, kRoundTrips, PingPong{});
  register_three(kW3, kTasks, SpawnJoin{});
  return true;
}();

}  // namespace

}  // namespace corosim::bench
