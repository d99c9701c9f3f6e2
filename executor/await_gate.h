// The await hook's answer at a suspension point. Most awaits only count (an
// unparked await, a cancellation point with no plan to act on it) and
// proceed: that is settled here, inline in every co_await, from the
// executor's AwaitGate. The rest ask the executor by a virtual call:
// before_await for everything (a hog, a canceller other than an owner, a
// closed gate), yield_decision for the scheduling choice.
#pragma once

#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"

namespace corosim::detail {

// Whether an await that proceeds asks the executor first whether to park as
// ready: only when someone else could run meanwhile, and not before an
// operand that parks anyway (yield_now, or a parking operation: AwaitKind).
// Simulator::before_await asks it too.
inline bool yield_decision_due(const Fiber& fiber, const Executor& executor) {
  const Executor::AwaitGate& gate = executor.await_gate();
  return gate.yield_decisions && (gate.decide_before & await_kind_bit(fiber.await_kind)) != 0 &&
         !executor.plain_queue()->empty();
}

// What it does when the gate is open is what Simulator::before_await would do.
[[gnu::always_inline]] inline AwaitAction before_await(Fiber& fiber, const SourceLoc& where) {
  Executor& executor = *fiber.executor;
  Executor::AwaitGate& gate = executor.await_gate();
  const bool call = fiber.awaiting_call();
  // A pre-cancelled fiber has an external canceller: it asks too.
  if (!gate.open || (!call && fiber.unparked_awaits >= gate.hog_limit) ||
      (fiber.canceller != Canceller::none && fiber.canceller != Canceller::owner)) [[unlikely]] {
    return executor.before_await(fiber, where);
  }
  if (!call) {
    ++fiber.unparked_awaits;
    if (fiber.canceller == Canceller::owner && fiber.shield_depth == 0 && fiber.owner_can_cancel()) {
      ++gate.cancel_points;
    }
  }
  return yield_decision_due(fiber, executor) ? executor.yield_decision(fiber) : AwaitAction::proceed;
}

}  // namespace corosim::detail
