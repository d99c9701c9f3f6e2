// The suspension-point hook: Task's await_transform wraps every awaited operand
// in a HookedAwaiter. Before the operand's own await_ready it asks the executor
// what to do at this point (proceed, or park first so other fibers may run) and
// records where the fiber stands; when the fiber really parks it marks it
// waiting and traces the suspension. User code adds no annotations.
#pragma once

#include <cassert>
#include <coroutine>
#include <source_location>
#include <type_traits>
#include <utility>

#include "runtime/executor.h"
#include "runtime/fiber.h"

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
concept HasWhat = requires { { T::corosim_what } -> std::convertible_to<const char*>; };

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

  bool await_ready() {
    fiber_ = current_fiber();
    assert(fiber_ != nullptr && "a corosim::Task was awaited outside a corosim executor");
    fiber_->suspended_at = where_;
    fiber_->waiting_what = awaiter_what<Bare>();
    action_ = fiber_->executor->before_await(*fiber_, where_);
    if (action_ == AwaitAction::suspend_first) return false;
    return inner_.await_ready();
  }

  std::coroutine_handle<> await_suspend(std::coroutine_handle<> self) {
    handle_ = self;
    if (action_ == AwaitAction::suspend_first) {
      // Park before evaluating the operand; resume_after_yield evaluates it.
      Fiber& fiber = *fiber_;
      fiber.resume_point = ResumePoint{self, &resume_after_yield, this};
      fiber.state = FiberState::ready;
      fiber.executor->trace(TraceKind::yield, &fiber, 0, 0, &where_);
      fiber.executor->enqueue(fiber);
      return std::noop_coroutine();
    }
    return park();
  }

  decltype(auto) await_resume() { return inner_.await_resume(); }

 private:
  // Runs the operand's await_suspend. Returns the handle to transfer to: noop
  // when the fiber parked, the awaiting coroutine when the operand declined to
  // suspend, or another coroutine of the same fiber (a child Task starting).
  std::coroutine_handle<> park() {
    Fiber& fiber = *fiber_;
    fiber.resume_point = ResumePoint{handle_};
    fiber.state = FiberState::waiting;
    std::coroutine_handle<> next;
    try {
      next = suspend_inner();
    } catch (...) {
      fiber.state = FiberState::running;
      throw;
    }
    if (is_noop(next)) {
      fiber.executor->trace(TraceKind::suspend, &fiber, 0, 0, &where_);
      return next;
    }
    assert(fiber.state == FiberState::waiting && "an awaiter woke its fiber but did not suspend");
    fiber.state = FiberState::running;
    fiber.waiting_on = nullptr;
    return next;
  }

  std::coroutine_handle<> suspend_inner() {
    using Result = decltype(inner_.await_suspend(handle_));
    if constexpr (std::is_void_v<Result>) {
      inner_.await_suspend(handle_);
      return std::noop_coroutine();
    } else if constexpr (std::is_same_v<Result, bool>) {
      return inner_.await_suspend(handle_) ? std::coroutine_handle<>(std::noop_coroutine())
                                           : handle_;
    } else {
      return inner_.await_suspend(handle_);
    }
  }

  static void resume_after_yield(void* context) {
    auto* self = static_cast<HookedAwaiter*>(context);
    self->fiber_->resume_point = ResumePoint{self->handle_};
    if (self->inner_.await_ready()) {
      self->handle_.resume();
      return;
    }
    self->park().resume();  // a no-op when the fiber parked
  }

  Inner inner_;
  SourceLoc where_;
  Fiber* fiber_ = nullptr;
  std::coroutine_handle<> handle_;
  AwaitAction action_ = AwaitAction::proceed;
};

template <class A>
using HookedAwaiterFor = HookedAwaiter<decltype(get_awaiter(std::declval<A>()))>;

}  // namespace corosim::detail
