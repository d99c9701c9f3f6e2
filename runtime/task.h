// Task<T>: a lazy coroutine. Nothing runs until it is awaited (inline, in the
// awaiting fiber) or spawned (as a fiber of its own).
//
// Contract:
// - Awaiting a Task starts it by symmetric transfer and resumes the awaiter by
//   symmetric transfer when it finishes: no scheduler step in between, no stack
//   growth across long chains.
// - A value or an exception comes back to the awaiter; T may be void or
//   move-only.
// - Every co_await inside a Task is a suspension point: await_transform wraps
//   the operand in the executor's hook (runtime/detail/await_hook.h).
// - Destroying a Task destroys its frame and, through the Task objects its
//   frame holds, every Task it is awaiting: the drop of a suspended chain.
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <source_location>
#include <type_traits>
#include <utility>

#include "runtime/detail/await_hook.h"
#include "runtime/detail/frame_counted.h"

namespace corosim {

template <class T = void>
class Task;

namespace detail {

struct TaskPromiseBase : FrameCounted {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;
  // From co_return until final_suspend the frame destroys its locals: a
  // destructor context (see fiber.h, returning_frames).
  Fiber* returning = nullptr;

  std::suspend_always initial_suspend() const noexcept { return {}; }

  void mark_returning() noexcept {
    returning = current_fiber();
    if (returning != nullptr) ++returning->returning_frames;
  }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) const noexcept {
      assert(self.promise().continuation && "a Task finished that nobody awaited");
      return self.promise().continuation;
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() noexcept {
    if (returning != nullptr) --std::exchange(returning, nullptr)->returning_frames;
    return {};
  }

  void unhandled_exception() noexcept { error = std::current_exception(); }

  template <class A>
  HookedAwaiterFor<A> await_transform(
      A&& awaitable, std::source_location where = std::source_location::current()) {
    return HookedAwaiterFor<A>(std::forward<A>(awaitable), where);
  }
};

template <class T>
struct TaskPromise : TaskPromiseBase {
  std::optional<T> value;

  Task<T> get_return_object() noexcept;
  template <class U>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& result) {
    value.emplace(std::forward<U>(result));
    mark_returning();
  }
  T take_result() {
    if (error) std::rethrow_exception(error);
    assert(value.has_value());
    return std::move(*value);
  }
};

template <>
struct TaskPromise<void> : TaskPromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept { mark_returning(); }
  void take_result() {
    if (error) std::rethrow_exception(error);
  }
};

template <class T>
struct TaskAwaiter {
  static constexpr const char* corosim_what = "task";
  static constexpr bool corosim_call = true;
  std::coroutine_handle<TaskPromise<T>> child;

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    child.promise().continuation = awaiting;
    return child;
  }
  T await_resume() { return child.promise().take_result(); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using value_type = T;

  Task() noexcept = default;
  explicit Task(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(handle_); }

  detail::TaskAwaiter<T> operator co_await() && noexcept {
    assert(handle_ && "awaiting an empty Task");
    return detail::TaskAwaiter<T>{handle_};
  }

 private:
  void reset() noexcept {
    if (handle_) std::exchange(handle_, {}).destroy();
  }

  std::coroutine_handle<promise_type> handle_;
};

namespace detail {
template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}

template <class T>
struct IsTask : std::false_type {};
template <class T>
struct IsTask<Task<T>> : std::true_type {};
}  // namespace detail

template <class T>
concept IsTask = detail::IsTask<std::remove_cvref_t<T>>::value;

}  // namespace corosim
