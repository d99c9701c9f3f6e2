// The suspension-point hook: Task's await_transform wraps every awaited operand
// in a HookedAwaiter. Before the operand's own await_ready it asks the executor
// what to do at this point and records where the fiber stands; when the fiber
// really parks it marks it waiting and traces the suspension. User code adds no
// annotations.
//
// What the executor can answer (AwaitAction):
// - proceed: evaluate the operand.
// - suspend_first: park as ready; when resumed, evaluate the operand.
// - cancel_stop: request the fiber's stop token and park as ready; when
//   resumed, await_resume throws Cancelled without evaluating the operand.
// - cancel_drop: evaluate the operand; the executor destroys the fiber's chain
//   at the end of the step, while the operand is pending (or, if it completed
//   at once, with its result unconsumed).
// - cancel_prompt: evaluate the operand; once it completes and the fiber is
//   woken, the executor destroys the chain instead of resuming it: the value is
//   produced and lost. An operand that transfers to a child Task completes by
//   symmetric transfer, out of the executor's reach: there prompt acts as drop.
// - cancel_interrupt: evaluate the operand; at the end of the step the
//   awaiter is resumed with Cancelled while the operation itself runs on (a
//   joined fiber keeps running; a granted lock is passed on by the awaiter's
//   destructor). An operand that completed at once is interrupted all the
//   same: its result is discarded.
#pragma once

#include <cassert>
#include <coroutine>
#include <source_location>
#include <type_traits>
#include <utility>

#include "corosim/runtime/cancelled.h"
#include "corosim/executor/await_gate.h"
#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"
#include "corosim/runtime/usage_error.h"

namespace corosim::detail {

template <class A>
concept HasMemberCoAwait = requires(A&& a) { std::forward<A>(a).operator co_await(); };
template <class A>
concept HasFreeCoAwait = requires(A&& a) { operator co_await(std::forward<A>(a)); };

// The awaiter that `co_await a` would use. A plain awaiter is returned as a
// reference: the operand of a co_await lives until the full expression ends,
// which is after the fiber resumes.
template <class A>
decltype(auto) get_awaiter(A&& a) {
  if constexpr (HasMemberCoAwait<A>) {
    return std::forward<A>(a).operator co_await();
  } else if constexpr (HasFreeCoAwait<A>) {
    return operator co_await(std::forward<A>(a));
  } else {
    return std::forward<A>(a);
  }
}

template <class T>
concept HasWhat = requires {
  { T::corosim_what } -> std::convertible_to<const char*>;
};

// A short name for what is awaited: the runtime's awaiters name themselves
// ("mutex.lock"); anything else is "await".
template <class T>
constexpr const char* awaiter_what() noexcept {
  if constexpr (HasWhat<T>) {
    return T::corosim_what;
  } else {
    return "await";
  }
}

// Awaiters that only read the fiber's own state (this_stop_token) declare
// `static constexpr bool corosim_point = false`: no schedule change and no
// cancellation happens there.
template <class T>
constexpr bool is_suspension_point() noexcept {
  if constexpr (requires {
                  { T::corosim_point } -> std::convertible_to<bool>;
                }) {
    return T::corosim_point;
  } else {
    return true;
  }
}

// Awaiters that only transfer to another coroutine of the same fiber (a Task,
// a Stream's body) declare `static constexpr bool corosim_call = true`: a
// call, not an operation that could have parked, so the hogging checker does
// not count it.
template <class T>
constexpr bool is_call() noexcept {
  if constexpr (requires {
                  { T::corosim_call } -> std::convertible_to<bool>;
                }) {
    return T::corosim_call;
  } else {
    return false;
  }
}

// Awaiters that always park the fiber as ready (yield_now) declare
// `static constexpr bool corosim_yield = true`: a forced suspension before
// one would only add a scheduling choice the yield itself makes, so the
// simulator asks none there.
template <class T>
constexpr bool is_yield() noexcept {
  if constexpr (requires {
                  { T::corosim_yield } -> std::convertible_to<bool>;
                }) {
    return T::corosim_yield;
  } else {
    return false;
  }
}

// Awaiters whose await_ready only reads and whose await_suspend always parks
// (a join, a channel's recv, an event's wait) declare
// `static constexpr bool corosim_parks_unless_ready = true`: when not ready,
// the hook asks no yield decision first (AwaitKind::parking). The fiber
// parks anyway and the others run then; parked as ready first, it would only
// add a step, or a gap between the readiness check and the registration as a
// waiter that a real executor never leaves (docs/architecture.md).
template <class T>
constexpr bool parks_unless_ready() noexcept {
  if constexpr (requires {
                  { T::corosim_parks_unless_ready } -> std::convertible_to<bool>;
                }) {
    return T::corosim_parks_unless_ready;
  } else {
    return false;
  }
}

template <class T>
constexpr AwaitKind await_kind_of() noexcept {
  return is_call<T>() ? AwaitKind::call : is_yield<T>() ? AwaitKind::yield : AwaitKind::operation;
}

// Awaiters of a shared primitive say what the step that begins at them
// touches (`std::uint32_t corosim_touch() const noexcept`, a touch_of()): a
// mutex's lock writes the mutex. A next_step_touches() declaration wins.
template <class T>
concept HasTouch = requires(const T& awaiter) {
  { awaiter.corosim_touch() } -> std::convertible_to<std::uint32_t>;
};

class YieldAwaiter;  // runtime/time.h: yield_now()'s awaiter, parked by the hook itself

inline bool is_noop(std::coroutine_handle<> h) noexcept {
  return h.address() == std::noop_coroutine().address();
}

template <class Inner>
class HookedAwaiter {
  using Bare = std::remove_cvref_t<Inner>;

 public:
  template <class A>
  HookedAwaiter(A&& awaitable, const std::source_location& where)
      : inner_(get_awaiter(std::forward<A>(awaitable))), where_(SourceLoc::from(where)) {}

  HookedAwaiter(const HookedAwaiter&) = delete;
  HookedAwaiter& operator=(const HookedAwaiter&) = delete;

  [[gnu::always_inline]] bool await_ready() {
    if constexpr (!is_suspension_point<Bare>()) {
      return inner_.await_ready();
    } else {
      fiber_ = current_fiber();
      if (fiber_ == nullptr) throw_outside_executor("a co_await inside a corosim::Task", where_);
      fiber_->suspended_at = where_;
      fiber_->waiting_what = awaiter_what<Bare>();
      if constexpr (HasTouch<Bare>) {
        if (fiber_->declared_touch == kTouchUnknown) fiber_->declared_touch = inner_.corosim_touch();
      }
      if constexpr (parks_unless_ready<Bare>()) {
        static_assert(!is_call<Bare>() && !is_yield<Bare>(),
                      "a parking operation is neither a call nor a yield");
        // Read once: await_ready is declared to have no effects.
        const bool ready = inner_.await_ready();
        fiber_->await_kind = ready ? AwaitKind::operation : AwaitKind::parking;
        action_ = before_await(*fiber_, where_);
        if (action_ == AwaitAction::proceed) [[likely]]
          return ready;
      } else {
        fiber_->await_kind = await_kind_of<Bare>();
        action_ = before_await(*fiber_, where_);
        if (action_ == AwaitAction::proceed) [[likely]]
          return inner_.await_ready();
      }
      return ready_despite_action();
    }
  }

  std::coroutine_handle<> await_suspend(std::coroutine_handle<> self) {
    handle_ = self;
    if (action_ == AwaitAction::proceed) [[likely]] {
      if constexpr (std::is_same_v<Bare, YieldAwaiter>) return park_yielding();
      return park_inline();
    }
    switch (action_) {
      case AwaitAction::proceed: return park();
      case AwaitAction::suspend_first: return park_ready(&resume_after_yield, TraceKind::yield);
      case AwaitAction::cancel_stop: request_stop(); return park_ready(&resume_stopped, TraceKind::suspend);
      case AwaitAction::cancel_drop:
      case AwaitAction::cancel_prompt: return suspend_to_cancel();
      case AwaitAction::cancel_interrupt: return suspend_to_interrupt();
    }
    return park();
  }

  decltype(auto) await_resume() {
    if (stopped_) throw Cancelled{};
    return inner_.await_resume();
  }

 private:
  // The rare answers of before_await, kept out of line so that the common
  // path above stays small enough to be inlined into every co_await.
  [[gnu::noinline]] bool ready_despite_action() {
    switch (action_) {
      case AwaitAction::proceed: return inner_.await_ready();
      case AwaitAction::suspend_first:
      case AwaitAction::cancel_stop: return false;
      case AwaitAction::cancel_drop:
      case AwaitAction::cancel_prompt:
      case AwaitAction::cancel_interrupt:
        completed_at_once_ = inner_.await_ready();
        return false;  // always reach await_suspend, where the fiber is given up
    }
    return inner_.await_ready();
  }

  // Runs the operand's await_suspend. Returns the handle to transfer to: noop
  // when the fiber parked, the awaiting coroutine when the operand declined to
  // suspend, or another coroutine of the same fiber (a child Task starting).
  // The common path (await_suspend after proceed) has it inline: as a call it
  // saved and restored registers around every park. The rare paths share one copy.
  [[gnu::noinline]] std::coroutine_handle<> park() { return park_inline(); }
  [[gnu::always_inline]] std::coroutine_handle<> park_inline() {
    Fiber& fiber = *fiber_;
    fiber.resume_point = ResumePoint(handle_);
    fiber.state = FiberState::waiting;
    std::coroutine_handle<> next;
    try {
      next = suspend_inner();
    } catch (...) {
      fiber.state = FiberState::running;
      throw;
    }
    if (is_noop(next)) {
      fiber.unparked_awaits = 0;  // a real park: the fiber gave the executor back
      fiber.last_spawned_id = kNoFiber;
      fiber.executor->trace(TraceKind::suspend, &fiber, 0, 0, &where_);
      return next;
    }
    assert(fiber.state == FiberState::waiting && "an awaiter woke its fiber but did not suspend");
    fiber.state = FiberState::running;
    fiber.waiting_on = nullptr;
    return next;
  }

  // yield_now's park: what park() does around YieldAwaiter::await_suspend
  // (ready, queued at the back, traced as a suspension), without the checks
  // a general operand needs. The one await every yield storm makes.
  std::coroutine_handle<> park_yielding() {
    Fiber& fiber = *fiber_;
    fiber.resume_point = ResumePoint(handle_);
    fiber.state = FiberState::ready;
    fiber_schedule(fiber);
    fiber.unparked_awaits = 0;
    fiber.last_spawned_id = kNoFiber;
    fiber.executor->trace(TraceKind::suspend, &fiber, 0, 0, &where_);
    return std::noop_coroutine();
  }

  // Parks the fiber as ready; the executor resumes it through resume.
  std::coroutine_handle<> park_ready(void (*resume)(void*), TraceKind kind) {
    Fiber& fiber = *fiber_;
    fiber.resume_point = ResumePoint::call(resume, this);
    fiber.state = FiberState::ready;
    fiber.executor->trace(kind, &fiber, 0, 0, &where_);
    fiber_schedule(fiber);
    return std::noop_coroutine();
  }

  void request_stop() {
    fiber_->executor->trace(TraceKind::cancel, fiber_, 0, static_cast<std::uint64_t>(action_), &where_);
    fiber_request_stop(*fiber_, where_);
  }

  // drop and prompt: the fiber is given up to its owner, which destroys it at
  // the end of this step (drop, or an operand that completed at once) or when
  // the operand completes (prompt).
  std::coroutine_handle<> suspend_to_cancel() {
    Fiber& fiber = *fiber_;
    fiber.executor->trace(TraceKind::cancel, &fiber, 0, static_cast<std::uint64_t>(action_), &where_);
    if (completed_at_once_) return give_up();
    std::coroutine_handle<> next = park();
    if (!is_noop(next) && next != handle_) {
      // A child Task starts in this fiber: drop the chain once it parks.
      fiber.executor->defer_drop(fiber);
      return next;
    }
    if (!is_noop(next)) return give_up();  // the operand declined to suspend: it completed
    if (action_ == AwaitAction::cancel_drop) {
      fiber.executor->defer_drop(fiber);
    } else {
      fiber.resume_point = ResumePoint::call(&resume_prompt, this);
    }
    return next;
  }

  // interrupt: park on the operand (or as if it had parked, if it completed at
  // once); the executor makes the fiber ready at the end of the step and it
  // resumes through resume_stopped, throwing Cancelled.
  std::coroutine_handle<> suspend_to_interrupt() {
    Fiber& fiber = *fiber_;
    fiber.executor->trace(TraceKind::cancel, &fiber, 0, static_cast<std::uint64_t>(action_), &where_);
    std::coroutine_handle<> next = completed_at_once_ ? handle_ : park();
    if (!is_noop(next) && next != handle_) {
      // A child Task starts in this fiber: interrupting it means dropping it.
      fiber.executor->defer_drop(fiber);
      return next;
    }
    fiber.resume_point = ResumePoint::call(&resume_stopped, this);
    if (fiber.state == FiberState::ready) return std::noop_coroutine();  // already queued (a yield)
    fiber.state = FiberState::waiting;
    fiber.interrupted = true;
    fiber.executor->defer_interrupt(fiber);
    return std::noop_coroutine();
  }

  // The operand has completed; the fiber never continues past this point.
  std::coroutine_handle<> give_up() {
    Fiber& fiber = *fiber_;
    fiber.state = FiberState::waiting;
    fiber.resume_point = ResumePoint(handle_);
    fiber.executor->defer_drop(fiber);
    return std::noop_coroutine();
  }

  std::coroutine_handle<> suspend_inner() {
    using Result = decltype(inner_.await_suspend(handle_));
    if constexpr (std::is_void_v<Result>) {
      inner_.await_suspend(handle_);
      return std::noop_coroutine();
    } else if constexpr (std::is_same_v<Result, bool>) {
      return inner_.await_suspend(handle_) ? std::coroutine_handle<>(std::noop_coroutine()) : handle_;
    } else {
      return inner_.await_suspend(handle_);
    }
  }

  static void resume_after_yield(void* context) {
    auto* self = static_cast<HookedAwaiter*>(context);
    self->fiber_->resume_point = ResumePoint(self->handle_);
    if (self->inner_.await_ready()) {
      self->handle_.resume();
      return;
    }
    self->park().resume();  // a no-op when the fiber parked
  }

  static void resume_stopped(void* context) {
    auto* self = static_cast<HookedAwaiter*>(context);
    self->fiber_->resume_point = ResumePoint(self->handle_);
    self->fiber_->interrupted = false;
    self->stopped_ = true;
    self->handle_.resume();  // await_resume throws Cancelled
  }

  // The operand completed and woke the fiber: instead of continuing, give it up.
  static void resume_prompt(void* context) {
    auto* self = static_cast<HookedAwaiter*>(context);
    self->give_up();
  }

  Inner inner_;
  SourceLoc where_;
  Fiber* fiber_ = nullptr;
  std::coroutine_handle<> handle_;
  AwaitAction action_ = AwaitAction::proceed;
  bool completed_at_once_ = false;
  bool stopped_ = false;
};

template <class A>
using HookedAwaiterFor = HookedAwaiter<decltype(get_awaiter(std::declval<A>()))>;

}  // namespace corosim::detail
