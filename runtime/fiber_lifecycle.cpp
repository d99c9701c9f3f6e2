#include "corosim/executor/fiber.h"

#include <cxxabi.h>

#include <exception>

#include <cassert>
#include <cstdlib>
#include <memory>
#include <typeinfo>
#include <utility>

#include "corosim/executor/fiber_table.h"
#include "corosim/runtime/cancelled.h"
#include "corosim/runtime/detail/root_task.h"
#include "corosim/runtime/driver.h"
#include "corosim/runtime/scope.h"

namespace corosim {

namespace {

void destroy_root(Fiber& fiber) {
  if (fiber.root) std::exchange(fiber.root, {}).destroy();
}

// Tested inline before report_escaped: almost every fiber ends without an
// exception, and the report's strings need a large stack frame.
bool has_unseen_exception(const Fiber& fiber) noexcept {
  const FiberCold* cold = fiber.cold_if_any();  // an exception lives there
  return cold != nullptr && cold->error && !fiber.exception_seen && !fiber.dropped;
}

void report_escaped(Fiber& fiber) {
  const std::exception_ptr error = fiber.rare().error;
  // A fiber that unwound from a stop request ended by cancellation, not failure.
  if (detail::is_cancelled(error)) return;
  fiber.exception_seen = true;
  fiber.executor->report_failure(Checker::escaped_exception,
                                 "fiber " + std::to_string(fiber.id) + " (spawned at " +
                                     fiber.spawned_at.str() + ") threw " + detail::describe_exception(error) +
                                     " and nobody awaited it",
                                 fiber.spawned_at);
}

// An ended fiber that no handle refers to: an exception nobody saw is
// reported, its root frame goes and its record is retired.
void free_ended(Fiber& fiber) {
  if (has_unseen_exception(fiber)) [[unlikely]]
    report_escaped(fiber);
  destroy_root(fiber);
  detail::retire_fiber(fiber);
}

void after_done(Fiber& fiber);

// The last pending cleanup of a closing fiber finished: it completes now.
void finish_closing(Fiber& fiber) {
  fiber.closing = false;
  fiber.state = FiberState::done;
  fiber.waiting_what = "";
  after_done(fiber);
}

// Tells the ended fiber's driver, joiner and scope, and frees it if no handle
// refers to it any more: after_done for a fiber with no cleanups.
void tell_and_free(Fiber& fiber) {
  if (fiber.driver != nullptr) fiber.driver->member_done(fiber);
  if (CompletionListener* listener = std::exchange(fiber.listener, nullptr)) {
    listener->on_fiber_done(fiber);
  }
  if (fiber.scope != nullptr) detail_scope_child_done(*fiber.scope, fiber);
  if (!fiber.handle_alive) free_ended(fiber);
}

// Common to every way a fiber ends. A fiber with async cleanups still
// running completes only once they have finished (it waits as `closing`).
void after_done(Fiber& fiber) {
  if (FiberCold* cold = fiber.cold_if_any()) [[unlikely]] {
    if (cold->cleanups_pending > 0) {
      fiber.state = FiberState::waiting;
      fiber.closing = true;
      fiber.waiting_what = "async cleanup";
      fiber.waiting_on = nullptr;
      return;
    }
    if (cold->cleanup_of != nullptr) {
      Fiber* owner = std::exchange(cold->cleanup_of, nullptr);
      if (--owner->cold().cleanups_pending == 0 && owner->closing) finish_closing(*owner);
    }
  }
  tell_and_free(fiber);
}

// A fiber dropped while it held a resource guard is closing (its async
// close runs); the fiber whose code dropped it (let its handle go, or lost
// it in a race) completes only once that close has finished, as if the
// close were its own: no close outlives the scope that owned its holder.
void hold_up_dropper(Fiber& dropper, Fiber& closing) {
  // A dropper that is itself being dropped (its chain, which held the
  // handle, is being destroyed) counts: its own end waits, and so whatever
  // awaits it. One that has ended has nothing left to hold up.
  const bool ended = dropper.state == FiberState::done && !dropper.closing && !dropper.dropping;
  if (&dropper == &closing || ended) return;
  FiberCold& cold = closing.cold();
  if (cold.cleanup_of != nullptr) return;  // a cleanup fiber already holds up its owner
  cold.cleanup_of = &dropper;
  ++dropper.cold().cleanups_pending;
}
}  // namespace

namespace detail {

Fiber& create_fiber(Executor& executor, const SourceLoc& spawned_at) {
  Fiber& fiber = executor.fiber_table().create(executor, spawned_at);
  if (!executor.count_if_untraced(TraceKind::spawn)) {
    const Fiber* parent = current_fiber();
    executor.trace(TraceKind::spawn, &fiber, parent != nullptr ? parent->id : kNoFiber, 0, &spawned_at);
  }
  return fiber;
}

// The waker's id only for a trace that records it: most runs count wakes.
void trace_wake(Fiber& fiber) {
  const Fiber* waker = current_fiber();
  fiber.executor->trace(TraceKind::wake, &fiber, waker != nullptr ? waker->id : kNoFiber, 0);
}

void fiber_schedule_driven(Fiber& fiber) {
  FiberCold& cold = fiber.cold();
  cold.ready_since_ns = fiber.executor->now_ns();
  cold.held_steps = 0;
  if (!fiber.driver->polling()) {
    fiber.driver->hold(fiber);
    return;
  }
  fiber.executor->enqueue(fiber);
}

void fiber_finish(Fiber& fiber) {
  assert(fiber.state == FiberState::running);
  fiber.state = FiberState::done;
  fiber.waiting_on = nullptr;
  if (fiber.cold_if_any() == nullptr) [[likely]] {
    // No exception, stop deadline or cleanup: has_end_checks() without them.
    fiber.executor->trace_if(fiber.checks_detached(), TraceKind::complete, &fiber, 0, 0);
    tell_and_free(fiber);
    return;
  }
  const bool threw = static_cast<bool>(fiber.rare().error);
  fiber.executor->trace_if(fiber.has_end_checks(), TraceKind::complete, &fiber, 0, threw ? 1 : 0);
  after_done(fiber);
}

void finish_returned_root(Fiber& fiber) {
  fiber.root_returned = false;
  std::exchange(fiber.root, {}).destroy();
  fiber_finish(fiber);
}

void fiber_drop(Fiber& fiber) {
  if (fiber.closing) return;  // already ended; only its shielded cleanups run
  switch (fiber.state) {
    case FiberState::done: return;
    case FiberState::running: fiber.executor->defer_drop(fiber); return;
    case FiberState::ready:
      if (fiber.held) {
        fiber.driver->unhold(fiber);
      } else {
        fiber.executor->dequeue(fiber);
      }
      break;
    case FiberState::waiting: break;
  }
  fiber.state = FiberState::done;
  fiber.dropped = true;
  fiber.waiting_on = nullptr;
  fiber.executor->trace(TraceKind::drop, &fiber, 0, 0, &fiber.suspended_at);
  // Destructors of the dropped chain run as the dropped fiber, so what they do
  // (unlock, send, spawn) is attributed to it; so is waking its joiner.
  Fiber* previous = current_fiber();
  set_current_fiber(&fiber);
  fiber.dropping = true;
  destroy_root(fiber);
  fiber.dropping = false;
  after_done(fiber);
  if (fiber.closing && previous != nullptr) hold_up_dropper(*previous, fiber);
  set_current_fiber(previous);
}

void fiber_release(Fiber& fiber) {
  fiber.handle_alive = false;
  if (fiber.state != FiberState::done) {
    if (!fiber.detached) fiber_drop(fiber);
    return;  // after_done frees it once it ends
  }
  // Its own chain held the handle (a fiber owned by state it owns): the drop
  // under way frees it when the chain is gone.
  if (fiber.dropping) return;
  free_ended(fiber);
}

void report_spawn_in_destructor(const Fiber* fiber, const SourceLoc& where) {
  std::string context;
  if (fiber->dropping) {
    context = "its chain was being dropped (cancelled at " + fiber->suspended_at.str() + ")";
  } else if (fiber->returning_frames > 0) {
    context = "a Task it ran was destroying its locals on return";
  } else {
    context = "an exception was unwinding it";
  }
  fiber->executor->report_failure(
      Checker::detached_cleanup,
      "spawn at " + where.str() + " was made while a destructor ran on fiber " + std::to_string(fiber->id) +
          " (" + context +
          "): that cleanup runs detached, nobody can await it, and whatever follows the "
          "destructor races with it. Hold the resource with corosim::scoped(...) or "
          "with_resource(...) so its async_close is awaited, or spawn into a TaskScope",
      where);
}

std::stop_token fiber_stop_token(Fiber& fiber) {
  std::stop_source& source = fiber.cold().stop_source;
  if (!source.stop_possible()) source = std::stop_source();
  return source.get_token();
}

void fiber_request_stop(Fiber& fiber, const SourceLoc& where, std::uint64_t within_ns) {
  if (fiber.state == FiberState::done) return;
  fiber.executor->stop_requested(fiber, where, within_ns);
  std::stop_source& source = fiber.cold().stop_source;
  if (!source.stop_possible()) source = std::stop_source();
  source.request_stop();
}

bool is_cancelled(const std::exception_ptr& error) noexcept {
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const Cancelled&) {
    return true;
  } catch (...) {
    return false;
  }
}

bool fiber_was_cancelled(const Fiber& fiber) noexcept {
  return fiber.dropped || is_cancelled(fiber_exception(fiber));
}

std::exception_ptr fiber_exception(const Fiber& fiber) noexcept {
  if (fiber.dropped) return nullptr;
  return fiber.rare().error;
}

std::string describe_exception(const std::exception_ptr& error) {
  if (!error) return "no exception";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status), std::free);
    return std::string(status == 0 && name ? name.get() : typeid(e).name()) + "(\"" + e.what() + "\")";
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

}  // namespace detail
}  // namespace corosim
