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
// - A Task whose body never ran because nobody awaited, spawned or moved it
//   (`auto t = save(); co_return;` — a forgotten co_await) fails the run with
//   the unawaited-task checker when it is destroyed in a run's normal flow.
//   Dropping it on purpose: corosim::discard(std::move(task)). A Task destroyed
//   by a drop or an exception unwinding is not reported: its await was skipped,
//   not forgotten.
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <source_location>
#include <type_traits>
#include <utility>

#include "corosim/runtime/detail/await_hook.h"
#include "corosim/runtime/detail/frame_counted.h"

namespace corosim {

template <class T = void>
class Task;

namespace detail {

// A Task that nobody started is being destroyed (the unawaited-task checker).
void report_unawaited_task(const std::source_location& coroutine);

struct TaskPromiseBase : FrameCounted {
  // The default argument is evaluated in the coroutine's ramp, so it names
  // the coroutine itself (its function name; the line of its body's opening
  // or closing brace, depending on the compiler): what an unawaited-task
  // report can say about a Task whose body never ran.
  explicit TaskPromiseBase(std::source_location coroutine = {}) noexcept : coroutine(coroutine) {}

  std::coroutine_handle<> continuation;
  // Set when the Task is a fiber's root (spawn of a Task<void>): it has no
  // continuation, and its end is the fiber's.
  Fiber* root_of = nullptr;
  std::exception_ptr error;
  // From co_return until final_suspend the frame destroys its locals: a
  // destructor context (see fiber.h, returning_frames).
  Fiber* returning = nullptr;
  std::source_location coroutine;
  // The Task object left the expression that created it: it was awaited, or
  // moved (into spawn, select, a container, a variable of the caller's).
  bool handed_off = false;

  std::suspend_always initial_suspend() const noexcept { return {}; }

  void mark_returning() noexcept {
    returning = current_fiber();
    if (returning != nullptr) ++returning->returning_frames;
  }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) const noexcept {
      TaskPromiseBase& promise = self.promise();
      if (promise.continuation) [[likely]]
        return promise.continuation;
      // A fiber's root: its exception goes to the fiber record (a finished
      // fiber keeps its result, not its frame), and the executor destroys
      // the frame and finishes the fiber once this resume has returned
      // (detail::finish_returned_root). Destroying the frame here, inside
      // its own final await_suspend, would leave compilers free to read it
      // afterwards.
      Fiber& fiber = *promise.root_of;
      if (promise.error) [[unlikely]]
        fiber.cold().error = std::move(promise.error);
      fiber.root_returned = true;
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() noexcept {
    if (returning != nullptr) --std::exchange(returning, nullptr)->returning_frames;
    return {};
  }

  void unhandled_exception() noexcept { error = std::current_exception(); }

  template <class A>
  HookedAwaiterFor<A> await_transform(A&& awaitable,
                                      std::source_location where = std::source_location::current()) {
    return HookedAwaiterFor<A>(std::forward<A>(awaitable), where);
  }
};

template <class T>
struct TaskPromise : TaskPromiseBase {
  explicit TaskPromise(std::source_location coroutine = std::source_location::current()) noexcept
      : TaskPromiseBase(coroutine) {}

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
  explicit TaskPromise(std::source_location coroutine = std::source_location::current()) noexcept
      : TaskPromiseBase(coroutine) {}

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

template <class T>
std::coroutine_handle<TaskPromise<T>> release_task(Task<T>&& task) noexcept;

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using value_type = T;

  Task() noexcept = default;
  explicit Task(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) { hand_off(); }
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
      hand_off();
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(handle_); }

  detail::TaskAwaiter<T> operator co_await() && noexcept {
    assert(handle_ && "awaiting an empty Task");
    hand_off();
    return detail::TaskAwaiter<T>{handle_};
  }

 private:
  // spawn() makes the frame a fiber's root.
  template <class U>
  friend std::coroutine_handle<detail::TaskPromise<U>> detail::release_task(Task<U>&& task) noexcept;

  void hand_off() noexcept {
    if (handle_) handle_.promise().handed_off = true;
  }
  void reset() {
    if (!handle_) return;
    auto handle = std::exchange(handle_, {});
    if (!handle.promise().handed_off) detail::report_unawaited_task(handle.promise().coroutine);
    handle.destroy();
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
std::coroutine_handle<TaskPromise<T>> release_task(Task<T>&& task) noexcept {
  task.hand_off();
  return std::exchange(task.handle_, {});
}

template <class T>
struct IsTask : std::false_type {};
template <class T>
struct IsTask<Task<T>> : std::true_type {};
}  // namespace detail

// Destroys a Task without running it, on purpose: no unawaited-task report.
template <class T>
void discard(Task<T>&& task) noexcept {
  Task<T> dropped = std::move(task);  // a move is a hand-off
}

template <class T>
concept IsTask = detail::IsTask<std::remove_cvref_t<T>>::value;

}  // namespace corosim
