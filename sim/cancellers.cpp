// Cancellers: injected cancellation is only ever one the program could issue.
//
// A fiber's canceller (executor/fiber.h) is who may cancel it: its handle's
// owner or TaskScope, the other arms of its select, a timeout's timer, or a
// declared external canceller. Declared cancellation is injected directly, in
// the chosen mode, at any point: the user said it is real. The program's own
// cancellers are never imitated. Instead the fiber is *stalled* at the point:
// once woken there it is held, not scheduled, so the rest of the program runs
// on — and if its canceller acts meanwhile (the owner drops the handle, an arm
// wins, the timer fires), the cancellation lands exactly there, by the
// program's own mechanism. A stall is a legal execution (latencies are
// unknown); it lets virtual time pass only up to its owner's next timer (it
// ends when nothing else can run), and hurries the timers of the arms racing
// the stalled one: an early expiry is a legal execution too.
// docs/cancellation.md tells the whole model.
#include <algorithm>

#include "corosim/executor/assert.h"
#include "corosim/sim/simulator.h"

namespace corosim {

// The next cancellation point, recorded as the options ask (its site, and
// whether its canceller is external).
std::uint64_t Simulator::number_point(const SourceLoc& where, bool external) {
  if (options_.record_cancel_sites && cancel_sites_.size() < kSitesMax) cancel_sites_.push_back(where);
  if (options_.record_cancel_kinds) external_points_.push_back(external);
  return await_gate_.cancel_points++;
}

// A suspension point of a fiber that has a canceller: numbered if the
// canceller can act here, and the plan's injection, if it chooses this point.
// nullopt: the await goes on as usual.
std::optional<AwaitAction> Simulator::cancellation_point(Fiber& fiber, const SourceLoc& where) {
  if (fiber.stall == StallState::armed) {
    // It passed its stalled point without parking (the operand was ready):
    // there was no moment for the canceller to act.
    for (std::size_t i = 0; i < stalls_.size(); ++i) {
      if (stalls_[i].fiber != &fiber) continue;
      end_stall(i, false);
      break;
    }
  }
  if (!is_cancellation_point(fiber)) return std::nullopt;
  const bool external = fiber.canceller == Canceller::external;
  const std::uint64_t point = number_point(where, external);
  const std::optional<CancelMode> mode = cancel_here(point, where, external);
  if (!mode) return std::nullopt;
  injections_.push_back(CancelInjection{point, *mode, where, fiber.id, fiber.canceller, fiber.canceller_at,
                                        external, fiber.waiting_what});
  if (external) return cancel_action(*mode);
  begin_stall(fiber, injections_.size() - 1);
  return AwaitAction::proceed;  // evaluate the operand; held once it completes
}

// A declared canceller outside the fibers (asio's): a point like a declared
// fiber's, acting at once when the plan says so; how it acts is its own.
bool Simulator::Hooks::external_point(const SourceLoc& where, const char* what) {
  Simulator& sim = simulator_;
  const std::uint64_t point = sim.number_point(where, true);
  const std::optional<CancelMode> mode = sim.cancel_here(point, where, true);
  if (!mode) return false;
  const Fiber* fiber = current_fiber();
  sim.injections_.push_back(CancelInjection{point, *mode, where, fiber != nullptr ? fiber->id : 0,
                                            Canceller::external, where, true, what, true});
  return true;
}

void Simulator::begin_stall(Fiber& fiber, std::size_t injection) {
  trace(TraceKind::cancel, &fiber, 0, static_cast<std::uint64_t>(AwaitAction::proceed), &fiber.suspended_at);
  fiber.stall = StallState::armed;
  counted_kinds_ &= ~kind_bit(TraceKind::suspend);  // its parking is news to trace_event()
  stalls_.push_back(Stall{&fiber, injection, {}});
  after_step_ = true;
}

// The stalled fiber parked at its point: now, and only now (an operand that
// completes at once leaves no moment to cancel), the arms racing it may win.
void Simulator::stalled_fiber_parked(const Fiber& parked) {
  for (Stall& stall : stalls_) {
    if (stall.fiber != &parked || !stall.hurried.empty()) continue;
    Fiber& fiber = *stall.fiber;
    for (std::uint8_t i = 0; i < fiber.race_size; ++i) {
      Fiber* arm = fiber.rare().race_arms[i];
      if (arm == &fiber || arm->state == FiberState::done || arm->hurry) continue;
      arm->hurry = true;
      stall.hurried.push_back(arm);
      hurry_timer_of(*arm);
    }
  }
}

// An arm that already sleeps: its timer fires now instead.
void Simulator::hurry_timer_of(Fiber& arm) {
  if (arm.state != FiberState::waiting) return;
  if (TimerNode* node = timers_.find(arm)) {
    timers_.cancel(*node);
    bring_forward(*node);
    timers_.arm(*node);
  }
}

// A hurried arm's timer fires now; the stall that hurried it remembers the
// deadline it had, for the report of a cancellation that lands by it.
void Simulator::bring_forward(TimerNode& node) {
  if (node.deadline_ns > now_ns_) {
    for (Stall& stall : stalls_) {
      if (std::find(stall.hurried.begin(), stall.hurried.end(), node.fiber) == stall.hurried.end()) continue;
      CancelInjection& injection = injections_[stall.injection];
      if (injection.brought_forward_ns == 0 || node.deadline_ns < injection.brought_forward_ns) {
        injection.brought_forward_ns = node.deadline_ns;
        injection.brought_forward_at_ns = now_ns_;
      }
    }
  }
  node.deadline_ns = now_ns_;
}

void Simulator::end_stall(std::size_t index, bool landed) {
  Stall& stall = stalls_[index];
  injections_[stall.injection].landed = landed;
  const bool held = stall.fiber->stall == StallState::holding && stall.fiber->queued;
  if (held) injections_[stall.injection].held_until_ns = now_ns_;
  stall.fiber->stall = StallState::none;
  if (held) {
    // Held and still alive: it runs again.
    stall.fiber->queued = false;
    ready_.push(*stall.fiber);
  }
  for (Fiber* arm : stall.hurried) arm->hurry = false;
  stalls_.erase(stalls_.begin() + static_cast<std::ptrdiff_t>(index));
}

// End of a step: a stalled fiber that ended was cancelled where it stood
// (its canceller acted) or finished; arms that ended need no hurry. Runs
// at the end of every step while a stall lasts, so before the records of
// fibers that ended in the step can be reused (in a later step).
void Simulator::settle_stalls() {
  for (std::size_t i = stalls_.size(); i-- > 0;) {
    Stall& stall = stalls_[i];
    std::erase_if(stall.hurried, [](const Fiber* arm) { return arm->state == FiberState::done; });
    if (stall.fiber->state == FiberState::done) {
      end_stall(i, stall.fiber->dropped);
    } else if (stall.fiber->stall == StallState::holding &&
               steps_ - stall.held_since_step >= kStallMaxSteps) {
      end_stall(i, false);  // others keep running without its canceller acting
    }
  }
}

// Nothing else can run. If the next timer wakes the owner of a held fiber,
// time may pass first: an owner that gives up after a deadline is the
// commonest canceller, and the held operation is simply slow (the step bound
// still ends the stall). Otherwise every held fiber's canceller had its
// chance and did not act: they run on. A stall still waiting on its own
// operand stays. False if nothing was released.
bool Simulator::release_stalls() {
  bool held = false;
  for (const Stall& stall : stalls_) held = held || stall.fiber->stall == StallState::holding;
  if (!held) return false;
  if (!timers_.empty()) {
    // Time passes if the next timer can make the canceller act: the owner's
    // own, or, in a TaskScope, a sibling's (a sibling that fails cancels
    // the scope's other children); for a token, its creators' or their
    // spawned fibers'.
    const Fiber& next = *timers_.peek().fiber;
    for (const Stall& stall : stalls_) {
      const Fiber& fiber = *stall.fiber;
      if (fiber.stall != StallState::holding || fiber.canceller != Canceller::owner) continue;
      if (fiber.owner_id == next.id || (fiber.scope != nullptr && next.scope == fiber.scope)) return false;
    }
    for (const Stall& stall : stalls_) {
      if (stall.fiber->stall == StallState::holding && token_may_cancel(*stall.fiber, next)) return false;
    }
  }
  for (std::size_t i = stalls_.size(); i-- > 0;) {
    if (stalls_[i].fiber->stall == StallState::holding) end_stall(i, false);
  }
  return true;
}

// A fiber raced against a CancellationToken (run_until_cancelled) is held:
// the token's cancel() is expected from the fibers that created it and its
// ancestors (the token arm's wait edges) or from fibers they spawned. True
// if `next`, whose timer comes next, is one of them.
bool Simulator::token_may_cancel(const Fiber& fiber, const Fiber& next) const {
  if (fiber.canceller != Canceller::token) return false;
  std::vector<std::uint32_t> creators;
  for (std::uint8_t i = 0; i < fiber.race_size; ++i) {
    const Fiber* arm = fiber.rare().race_arms[i];
    if (arm != &fiber && arm->waiting_on != nullptr) arm->waiting_on->holder_ids(creators);
  }
  return std::any_of(creators.begin(), creators.end(),
                     [&](std::uint32_t id) { return id == next.id || id == next.owner_id; });
}

}  // namespace corosim
