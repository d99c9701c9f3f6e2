// Work that outlives its spawner: a detached background loop still running
// when main returns, and a detached fiber whose exception nobody sees.
#include <chrono>
#include <stdexcept>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using namespace std::chrono_literals;

Task<void> flush_every_second(int* flushes) {
  for (;;) {
    co_await corosim::sleep_for(1s);
    ++*flushes;
  }
}

Task<void> flaky_flush() {
  co_await corosim::yield_now();
  throw std::runtime_error("flush failed");
}

}  // namespace

CORO_SCENARIO("leak/detached_background_loop", corosim::fails_with(corosim::Checker::leak)) {
  static int flushes = 0;
  corosim::spawn(flush_every_second(&flushes)).detach();
  co_await corosim::sleep_for(10ms);
}

CORO_SCENARIO("leak/unobserved_exception", corosim::fails_with(corosim::Checker::escaped_exception)) {
  corosim::spawn(flaky_flush()).detach();
  co_await corosim::sleep_for(1ms);
}
