// Scenarios whose code under test crashes, for tests/crash/crash_test.sh: a
// program of the user's that segfaults on some schedules (and, under ASan, one
// that overflows a heap buffer), between two that pass.
#include <cstdint>
#include <vector>

#include "corosim/cli/cli.h"
#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

#if defined(__SANITIZE_ADDRESS__)
#define COROSIM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COROSIM_TEST_ASAN 1
#endif
#endif

CORO_SCENARIO("crash/before", corosim::passes()) { co_await corosim::yield_now(); }

// Crashes on the seeds whose draw is 2: which seed a crash report names matters.
CORO_SCENARIO("crash/segfault", corosim::passes()) {
  co_await corosim::yield_now();
  if (corosim::random(4) == 2) {
    volatile int* nowhere = nullptr;
    *nowhere = 1;
  }
}

#ifdef COROSIM_TEST_ASAN
CORO_SCENARIO("crash/heap_overflow", corosim::passes()) {
  co_await corosim::yield_now();
  std::vector<int> small(4);
  volatile std::size_t past = 4 + corosim::random(2);
  small.data()[past] = 1;  // heap-buffer-overflow, which only ASan sees
}
#endif

CORO_SCENARIO("crash/then_passes", corosim::passes()) { co_await corosim::yield_now(); }

int main(int argc, char** argv) { return corosim::main(argc, argv); }
