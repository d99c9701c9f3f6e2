// The design rule "no heap allocation per scheduling step", checked by
// counting operator new: once the simulator's buffers are warm, a run with ten
// times the steps allocates exactly as often as a short one.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "corosim/runtime/corosim.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/random.h"

// AddressSanitizer brings its own operator new, which cannot be replaced
// beside it; the g++ build measures this.
#if defined(__SANITIZE_ADDRESS__)
#define COROSIM_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COROSIM_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef COROSIM_COUNT_ALLOCATIONS
#define COROSIM_COUNT_ALLOCATIONS 1
#endif

namespace {
thread_local bool counting = false;
thread_local std::uint64_t allocations = 0;
}  // namespace

#if COROSIM_COUNT_ALLOCATIONS
// g++ pairs the replaced new/delete with malloc/free and warns falsely.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size) {
  if (counting) ++allocations;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
// Every unaligned form is replaced, so that under ASan nothing allocated by the
// sanitizer's operator is freed by ours.
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
#endif

namespace {

using corosim::Task;

Task<void> nap() { co_await corosim::sleep_for(std::chrono::milliseconds(1)); }

// Steps of every kind: yields, forced suspensions, lock hand-offs, semaphore
// waits, timers with ties, random draws, spawns and the drops that audit the
// primitives' ledgers.
Task<void> yielder(int yields, corosim::Mutex& mutex, corosim::Semaphore& permits) {
  for (int i = 0; i < yields; ++i) {
    {
      auto dropped = corosim::spawn(nap());
      co_await corosim::yield_now();
    }
    auto guard = co_await mutex.lock();
    auto permit = co_await permits.acquire();
    co_await corosim::sleep_for(std::chrono::microseconds(1 + corosim::random(3)));
  }
}

Task<void> storm(int yields) {
  corosim::Mutex mutex;
  corosim::Semaphore permits(2);
  corosim::TaskScope scope;
  for (int f = 0; f < 8; ++f) scope.spawn(yielder(yields, mutex, permits));
  co_await scope.join();
}

std::uint64_t allocations_of(corosim::Simulator& simulator, int yields, std::uint64_t* steps) {
  allocations = 0;
  counting = true;
  auto result = simulator.run([yields] { return storm(yields); }, 1);
  counting = false;
  REQUIRE(result.passed());
  *steps = result.steps;
  return allocations;
}

}  // namespace

TEST_CASE("scheduling steps do not allocate once buffers are warm", "[sim][alloc]") {
  if (!COROSIM_COUNT_ALLOCATIONS) {
    WARN("allocations are not counted under AddressSanitizer; the g++ build checks this");
    return;
  }
  corosim::RandomStrategy strategy;
  corosim::Simulator simulator(strategy);
  std::uint64_t steps = 0;
  allocations_of(simulator, 500, &steps);  // warm every buffer to the larger size
  std::uint64_t short_steps = 0;
  std::uint64_t long_steps = 0;
  const std::uint64_t short_run = allocations_of(simulator, 50, &short_steps);
  const std::uint64_t long_run = allocations_of(simulator, 500, &long_steps);
  INFO("short: " << short_steps << " steps, " << short_run << " allocations; long: " << long_steps
                 << " steps, " << long_run << " allocations");
  REQUIRE(long_steps > 9 * short_steps);
  REQUIRE(long_run == short_run);
}
