// Example 100: writing your own primitive. A condition variable built only on
// the public kit (<corosim/runtime/primitive.h>), explored like corosim's own:
// the cancellation sweep cancels consumer A at every suspension point in every
// mode. The correct version passes a notification on when a notified waiter is
// cancelled; the broken one loses it, and B waits forever (a deadlock whose
// report names condvar#N).
//
//   ./condition_variable run                # all three meet their expectations
//   ./condition_variable run condvar/handoff_lost_wakeup --trace
#include <corosim/cli/cli.h>
#include <corosim/runtime/corosim.h>
#include <corosim/scenarios/registry.h>

#include "condition_variable.h"
#include "handoff.h"

using corosim::CancelExploration;
using corosim::Checker;

CORO_SCENARIO("condvar/handoff", corosim::passes()) {
  co_await example::handoff<example::ConditionVariable>();
}

CORO_SCENARIO("condvar/handoff_lost_wakeup", corosim::fails_with(Checker::deadlock)) {
  co_await example::handoff<example::BasicConditionVariable<example::PassOn::no>>();
}

CORO_SCENARIO("condvar/forgotten_notify", corosim::fails_with(Checker::deadlock)) {
  co_await example::forgotten_notify<example::ConditionVariable>();
}

int main(int argc, char** argv) { return corosim::main(argc, argv); }
