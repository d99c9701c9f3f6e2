// The root frame of a fiber spawned from a callable, or from a Task with a
// value. spawn() wraps them in a RootTask so that (a) the callable and its
// arguments live in the fiber's own frame for its whole life, (b) the value
// outlives the user's frame, which is destroyed as the fiber finishes, and
// (c) the fiber's completion is reported to the runtime from the root's final
// awaiter. RootTask has no await hook: the one co_await it makes starts the
// user's Task and is not a suspension point. A Task<void> needs none of this
// and is the fiber's root itself (runtime/task.h, finish_returned_root).
#pragma once

#include <coroutine>
#include <exception>
#include <functional>
#include <optional>
#include <tuple>
#include <utility>

#include "corosim/runtime/detail/frame_counted.h"
#include "corosim/executor/fiber.h"
#include "corosim/runtime/task.h"

namespace corosim::detail {

struct RootPromiseBase : FrameCounted {
  Fiber* fiber = nullptr;

  std::suspend_always initial_suspend() const noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> self) const noexcept {
      // May destroy this frame (a detached fiber): touch nothing afterwards.
      fiber_finish(*self.promise().fiber);
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() const noexcept { return {}; }

  // Kept in the fiber record, where a Task root's exception goes too.
  void unhandled_exception() noexcept { fiber->cold().error = std::current_exception(); }
};

template <class T>
struct RootPromise;

template <class T>
class RootTask {
 public:
  using promise_type = RootPromise<T>;
  explicit RootTask(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  RootTask(RootTask&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  RootTask(const RootTask&) = delete;
  ~RootTask() {
    if (handle_) handle_.destroy();
  }
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(handle_, {}); }

 private:
  std::coroutine_handle<promise_type> handle_;
};

template <class T>
struct RootPromise : RootPromiseBase {
  std::optional<T> value;
  RootTask<T> get_return_object() noexcept {
    return RootTask<T>(std::coroutine_handle<RootPromise>::from_promise(*this));
  }
  template <class U>
  void return_value(U&& result) {
    value.emplace(std::forward<U>(result));
  }
};

template <>
struct RootPromise<void> : RootPromiseBase {
  RootTask<void> get_return_object() noexcept {
    return RootTask<void>(std::coroutine_handle<RootPromise>::from_promise(*this));
  }
  void return_void() noexcept {}
};

// The fiber's body: owns the callable and its arguments (co_invoke pattern).
// Parameters live until the frame is destroyed, which for a joined fiber is
// when its handle goes; so they are moved into locals, which die as the body
// returns: a finished fiber keeps only its result, not its resources.
template <class T, class F, class... Args>
RootTask<T> invoke_as_root(F function, Args... args) {
  F owned_function = std::move(function);
  std::tuple<Args...> owned_args{std::move(args)...};
  // Arguments are handed over as rvalues, as std::thread does: a move-only
  // argument moves into the callee; a const& parameter binds to the copy
  // kept here for the fiber's life.
  co_return co_await std::apply(
      [&owned_function](Args&... owned) { return std::invoke(owned_function, std::move(owned)...); },
      owned_args);
}

template <class T>
RootTask<T> await_as_root(Task<T> task) {
  Task<T> owned = std::move(task);
  co_return co_await std::move(owned);
}

}  // namespace corosim::detail
