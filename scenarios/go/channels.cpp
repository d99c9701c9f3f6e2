// Go's blocking bugs, ported as a user would: kernels of real bugs from Go
// projects' trackers, written with Chan and choose (Go's channel and select),
// each with its fixed twin.
#include <chrono>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/bugs/tick.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Chan;
using corosim::Task;
using namespace std::chrono_literals;

// --- a send that outlives its receiver's timeout ------------------------------
// The worker sends its result on an unbuffered channel; the caller gives up
// after 5ms and goes on with other work, and the worker blocks on its send
// forever (a goroutine leak, as in Kubernetes' and Docker's request
// timeouts): still there when main returns, waiting at its send. Fixed: a
// buffer of one lets the send complete with nobody receiving.
Task<void> compute(Chan<int> result) {
  co_await corosim::sleep_for(std::chrono::milliseconds(1 + corosim::random(10)));
  co_await result.send(42);
}

Task<void> timeout_send(bool fixed) {
  Chan<int> result = corosim::make_chan<int>(fixed ? 1 : 0);
  corosim::spawn_detached(compute(result), corosim::Outlive::allowed);
  co_await corosim::choose(corosim::recv_from(result), corosim::after(5ms));
  co_await corosim::sleep_for(50ms);  // serving other requests meanwhile
}

// --- a select default that drops the wake-up ---------------------------------
// The notifier sends without blocking (select with a default) so that it never
// waits for a listener; a waiter that has checked the flag but is not yet
// receiving misses the only notification and waits forever. Fixed: a buffer
// of one keeps the notification until the waiter gets there.
Task<void> default_drops_wakeup(bool fixed) {
  Chan<int> wake = corosim::make_chan<int>(fixed ? 1 : 0);
  bool ready = false;
  auto waiter = corosim::spawn([&]() -> Task<void> {
    while (!ready) co_await wake.recv();
  });
  auto notifier = corosim::spawn([&]() -> Task<void> {
    co_await corosim::bugs::tick();
    ready = true;
    co_await corosim::choose(corosim::send_to(wake, 1), corosim::otherwise());
  });
  co_await waiter;
  co_await notifier;
}

}  // namespace

CORO_SCENARIO("go/timeout_send_leak", corosim::fails_with(corosim::Checker::leak)) {
  co_await timeout_send(false);
}
CORO_SCENARIO("go/timeout_send_leak_fixed", corosim::passes()) { co_await timeout_send(true); }
CORO_SCENARIO("go/select_default_lost_wakeup", corosim::fails_with(corosim::Checker::deadlock)) {
  co_await default_drops_wakeup(false);
}
CORO_SCENARIO("go/select_default_lost_wakeup_fixed", corosim::passes()) {
  co_await default_drops_wakeup(true);
}
