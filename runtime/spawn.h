// spawn(): starts a fiber; JoinHandle<T>: its result.
//
// Contract:
// - spawn(task) and spawn(callable, args...) create a fiber that the executor
//   starts on a later step (never inline). A callable and its arguments are
//   moved into the fiber's root frame and live as long as the fiber, so a
//   capturing lambda coroutine is safe to spawn. Arguments reach the callable
//   as rvalues (as with std::thread), so move-only arguments work.
// - co_await handle gives the fiber's value, rethrows its exception, or throws
//   corosim::Cancelled if it was dropped. The waiter is woken by the fiber's
//   completion and resumed by the executor on a later step.
// - Destroying an un-joined handle drops the fiber (its suspended chain is
//   destroyed, destructors run) unless detach() was called. Cancel-safety of
//   co_await handle: total (the fiber runs on; awaiting again is fine).
// - An exception that nobody observes (detached fiber, or handle destroyed
//   without awaiting) is reported by the escaped-exception checker.
// - A spawned fiber's canceller is its handle's owner: the simulator may
//   stall it at a suspension point so that the owner's own cancel or drop
//   lands there, and never cancels it otherwise (docs/cancellation.md). A
//   detached fiber has no canceller (nobody owns it).
// - A detached fiber (detach(), spawn_detached) must finish before the fiber
//   that detached it does, unless Outlive::allowed says otherwise: the
//   detached-fiber checker (main's leftovers are the leak checker's).
// - spawn() called while a destructor runs — the spawning fiber's chain is
//   being dropped, a Task's locals are being destroyed on return, or an
//   exception unwinds — starts cleanup that nobody can await: the
//   detached-cleanup checker reports it at the spawn. Use corosim::scoped /
//   with_resource (runtime/async_drop.h), or spawn into a TaskScope.
#pragma once

#include <cassert>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>

#include "corosim/runtime/cancelled.h"
#include "corosim/runtime/detail/root_task.h"
#include "corosim/runtime/driver.h"
#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"
#include "corosim/executor/fiber_table.h"
#include "corosim/runtime/task.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

// Where a run's main fiber stands as spawned (start_main, below).
inline constexpr SourceSite kMainSite{"main", "", 0, 0};

class TaskScope;
template <class T>
class JoinHandle;

// Whether a detached fiber may outlive the fiber that detached it.
enum class Outlive : std::uint8_t { forbidden, allowed };

namespace detail {

// driver: the poll-driven combinator the fiber belongs to, if any.
template <class T>
JoinHandle<T> start_fiber(RootTask<T> root, const SourceLoc& spawned_at, Driver* driver = nullptr);
// A fiber running a Task: a Task<void> is the fiber's root itself; a Task
// with a value is wrapped in a RootTask, which keeps the value.
template <class T>
JoinHandle<T> start_task(Task<T> task, const SourceLoc& spawned_at, Driver* driver = nullptr);

template <class F, class... Args>
using InvokeTask = std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>&, std::decay_t<Args>...>>;

template <class T>
class JoinAwaiter final : public CompletionListener, public WaitTarget {
 public:
  static constexpr const char* corosim_what = "join";

  explicit JoinAwaiter(JoinHandle<T>& handle) noexcept : handle_(handle) {}
  JoinAwaiter(const JoinAwaiter&) = delete;
  ~JoinAwaiter() {
    if (waiter_ != nullptr) handle_.fiber_->listener = nullptr;
  }

  static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
  bool await_ready() const noexcept { return handle_.is_finished(); }
  void await_suspend(std::coroutine_handle<>) noexcept {
    Fiber& target = *handle_.fiber_;
    assert(target.listener == nullptr && "a fiber can be joined by one waiter at a time");
    waiter_ = current_fiber();
    target.listener = this;
    set_waiting_on(this);
  }
  T await_resume() { return handle_.take_result(); }

  void on_fiber_done(Fiber&) override { fiber_wake(*std::exchange(waiter_, nullptr)); }
  void describe(std::string& out) const override {
    out += "fiber ";
    out += std::to_string(handle_.fiber_->id);
  }
  std::uint32_t holder_id() const noexcept override { return handle_.fiber_->id; }

 private:
  JoinHandle<T>& handle_;
  Fiber* waiter_ = nullptr;
};

}  // namespace detail

template <class T>
class [[nodiscard]] JoinHandle {
 public:
  JoinHandle() noexcept = default;
  JoinHandle(JoinHandle&& other) noexcept : fiber_(std::exchange(other.fiber_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    if (this != &other) {
      reset();
      fiber_ = std::exchange(other.fiber_, nullptr);
    }
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  ~JoinHandle() { reset(); }

  bool valid() const noexcept { return fiber_ != nullptr; }
  bool is_finished() const noexcept {
    assert(fiber_ != nullptr);
    return fiber_->state == FiberState::done;
  }
  std::uint32_t fiber_id() const noexcept { return fiber_->id; }

  // Lets the fiber run on without a handle. It must finish before the fiber
  // calling detach() does (unless Outlive::allowed), and before the run ends.
  void detach(Outlive outlive = Outlive::forbidden) noexcept {
    assert(fiber_ != nullptr);
    fiber_->detached = true;
    fiber_->canceller = Canceller::none;  // no owner is left to cancel it
    fiber_->may_outlive = outlive == Outlive::allowed;
    if (Fiber* detacher = current_fiber()) {
      fiber_->cold().detached_by = detacher->id;
      detacher->detached_some = true;
    }
    detail::fiber_release(*std::exchange(fiber_, nullptr));
  }
  // Drops the fiber now (at the end of this step if it is the running fiber)
  // and declares its result unwanted: awaiting the handle afterwards throws
  // Cancelled, and an exception it already threw is not reported as escaped.
  void cancel() {
    assert(fiber_ != nullptr);
    fiber_->exception_seen = true;
    detail::fiber_drop(*fiber_);
  }

  // Asks the fiber to stop, cooperatively (as std::jthread's request_stop):
  // requests its stop token, so stop callbacks registered on
  // this_stop_token() run now, and its code decides how to wind up. It must
  // then finish within `within` of virtual time (default
  // SimOptions::stop_max_ns, 10 s), or the cancel-liveness checker reports
  // it with where it waits. No-op for a finished fiber.
  void request_stop(std::source_location where = std::source_location::current()) {
    assert(fiber_ != nullptr);
    detail::fiber_request_stop(*fiber_, SourceLoc::from(where));
  }
  template <class Rep, class Period>
  void request_stop(std::chrono::duration<Rep, Period> within,
                    std::source_location where = std::source_location::current()) {
    assert(fiber_ != nullptr);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(within).count();
    detail::fiber_request_stop(*fiber_, SourceLoc::from(where), ns > 0 ? static_cast<std::uint64_t>(ns) : 1);
  }
  // Shields the fiber from injected cancellation: the exploration treats its
  // owner as one that never cancels it (a long-lived consumer or writer that
  // is harness, not the code under test). The cancellers it owns itself (its
  // selects and timeouts, the fibers it spawns, what it declares
  // cancellable) still act, and it can still be dropped through this handle.
  JoinHandle& shield() & noexcept {
    fiber_->canceller = Canceller::none;
    return *this;
  }
  JoinHandle&& shield() && noexcept { return std::move(shield()); }

  // Declares that the fiber may be cancelled at any of its suspension points,
  // in any mode, by something outside the scenario (a client that
  // disconnects, an owner elsewhere that aborts it): the simulator injects
  // that cancellation directly.
  JoinHandle& externally_cancellable() & noexcept {
    fiber_->canceller = Canceller::external;
    return *this;
  }
  JoinHandle&& externally_cancellable() && noexcept { return std::move(externally_cancellable()); }

  // The fiber record, for the runtime's own combinators.
  Fiber& fiber_record() const noexcept { return *fiber_; }

  detail::JoinAwaiter<T> operator co_await() & noexcept { return detail::JoinAwaiter<T>(*this); }
  detail::JoinAwaiter<T> operator co_await() && noexcept { return detail::JoinAwaiter<T>(*this); }

  // The result of a finished fiber (what co_await gives), without suspending.
  T take_result() {
    assert(fiber_ != nullptr && is_finished());
    // One test on the common path (nothing failed): the throwing paths stay
    // out of line, so that every join can inline it.
    if (fiber_->dropped || fiber_->cold_if_any() != nullptr) [[unlikely]]
      throw_if_failed();
    if constexpr (!std::is_void_v<T>) {
      assert(fiber_->root && "the RootTask holding the value is gone");
      auto& promise = static_cast<detail::RootPromise<T>&>(*fiber_->root_promise);
      assert(promise.value.has_value() && "the result was already taken");
      return std::move(*promise.value);
    }
  }

 private:
  friend class TaskScope;
  template <class U>
  friend class detail::JoinAwaiter;
  template <class U>
  friend JoinHandle<U> detail::start_fiber(detail::RootTask<U>, const SourceLoc&, Driver*);
  template <class U>
  friend JoinHandle<U> detail::start_task(Task<U>, const SourceLoc&, Driver*);

  explicit JoinHandle(Fiber& fiber) noexcept : fiber_(&fiber) {}
  void reset() noexcept {
    if (fiber_ != nullptr) detail::fiber_release(*std::exchange(fiber_, nullptr));
  }

  [[gnu::noinline]] void throw_if_failed() const {
    if (fiber_->dropped) throw Cancelled{};
    if (const std::exception_ptr& error = fiber_->rare().error) {
      fiber_->exception_seen = true;
      std::rethrow_exception(error);
    }
  }

  Fiber* fiber_ = nullptr;
};

namespace detail {

// A new fiber whose root frame is `root`, scheduled to start on a later step.
// The executor is asked for (require_executor, which throws UsageError when
// there is none) before the root leaves the Task that owns it: a spawn
// outside any executor then destroys its frame with the Task.
inline Fiber& launch_fiber(Executor& executor, std::coroutine_handle<> root, const SourceLoc& spawned_at,
                           Driver* driver) {
  Fiber& fiber = create_fiber(executor, spawned_at);
  fiber.root = root;
  fiber.resume_point = ResumePoint(root);
  fiber.state = FiberState::ready;
  // Its handle's owner can cancel it, even if the owner runs shielded code:
  // a shield hides the cancellers outside it, never the ones it owns.
  Fiber* parent = current_fiber();
  if (parent != nullptr) {
    parent->last_spawned_id = fiber.id;
    parent->last_spawned_at = spawned_at;
    fiber.owner_id = parent->id;
  }
  fiber.canceller = Canceller::owner;
  fiber.canceller_at = spawned_at;
  if (driver != nullptr) driver->adopt(fiber);
  fiber_schedule(fiber);
  return fiber;
}

template <class T>
JoinHandle<T> start_fiber(RootTask<T> root, const SourceLoc& spawned_at, Driver* driver) {
  Executor& executor = require_executor("spawn()", spawned_at);
  auto handle = root.release();
  Fiber& fiber = launch_fiber(executor, handle, spawned_at, driver);
  handle.promise().fiber = &fiber;
  fiber.root_promise = &handle.promise();
  return JoinHandle<T>(fiber);
}

template <class T>
JoinHandle<T> start_task(Task<T> task, const SourceLoc& spawned_at, Driver* driver) {
  if constexpr (std::is_void_v<T>) {
    Executor& executor = require_executor("spawn()", spawned_at);
    auto handle = release_task(std::move(task));
    assert(handle && "spawning an empty Task");
    Fiber& fiber = launch_fiber(executor, handle, spawned_at, driver);
    handle.promise().root_of = &fiber;
    return JoinHandle<T>(fiber);
  } else {
    return start_fiber(await_as_root<T>(std::move(task)), spawned_at, driver);
  }
}

// A fiber that is part of the current fiber's operation (a select arm, a
// timeout's operand): in Rust it would be a sub-future polled inline, so it
// belongs to the same driver as its parent, if the parent is a combinator's
// member. User-level spawn() makes independent fibers (like tokio::spawn).
template <class T>
JoinHandle<T> spawn_part(Task<T> task, const SourceLoc& spawned_at) {
  const Fiber* parent = current_fiber();
  return start_task(std::move(task), spawned_at, parent != nullptr ? parent->driver : nullptr);
}

// Reports a spawn made while a destructor runs (the detached-cleanup checker).
// Inline: every spawn asks, and almost none is made from a destructor.
void report_spawn_in_destructor(const Fiber* fiber, const SourceLoc& where);
inline void check_spawn_context(const SourceLoc& where) {
  const Fiber* fiber = current_fiber();
  if (fiber != nullptr && in_destructor(*fiber)) [[unlikely]]
    report_spawn_in_destructor(fiber, where);
}

// spawn() without that check: for owners that will await the fiber (TaskScope).
template <class T>
JoinHandle<T> spawn_owned(Task<T> task, const SourceLoc& where) {
  return start_task(std::move(task), where);
}
template <class F>
auto spawn_owned(F&& function, const SourceLoc& where) {
  using T = typename InvokeTask<F>::value_type;
  return start_fiber(invoke_as_root<T, std::decay_t<F>>(std::forward<F>(function)), where);
}
template <class F, class Arg, class... Args>
auto spawn_owned_with(const SourceLoc& where, F&& function, Arg&& arg, Args&&... args) {
  using T = typename InvokeTask<F, Arg, Args...>::value_type;
  return start_fiber(invoke_as_root<T, std::decay_t<F>, std::decay_t<Arg>, std::decay_t<Args>...>(
                         std::forward<F>(function), std::forward<Arg>(arg), std::forward<Args>(args)...),
                     where);
}
template <class F, class... Args>
auto spawn_with_args(const SourceLoc& where, F&& function, Args&&... args) {
  check_spawn_context(where);
  return spawn_owned_with(where, std::forward<F>(function), std::forward<Args>(args)...);
}

}  // namespace detail

// A callable spawnable with these arguments, none of which is the spawn's own
// location (so spawn(f, a, where) is never read as f(a, where)).
template <class F, class... Args>
concept SpawnableWith = (!std::same_as<std::remove_cvref_t<Args>, std::source_location> && ...) &&
                        std::invocable<std::decay_t<F>&, std::decay_t<Args>...>;

template <class T>
JoinHandle<T> spawn(Task<T> task, std::source_location where = std::source_location::current()) {
  detail::check_spawn_context(SourceLoc::from(where));
  return detail::spawn_owned(std::move(task), SourceLoc::from(where));
}

template <class F>
  requires(!IsTask<F> && std::invocable<std::decay_t<F>&>)
auto spawn(F&& function, std::source_location where = std::source_location::current()) {
  detail::check_spawn_context(SourceLoc::from(where));
  return detail::spawn_owned(std::forward<F>(function), SourceLoc::from(where));
}

// spawn(callable, args...): one overload per count of arguments, because a
// defaulted std::source_location cannot follow a parameter pack and a spawn
// without its location makes every failure inside read "spawned at ?".
// More arguments than these: capture them in a lambda.
template <class F, class A1>
  requires SpawnableWith<F, A1>
auto spawn(F&& f, A1&& a1, std::source_location where = std::source_location::current()) {
  return detail::spawn_with_args(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1));
}
template <class F, class A1, class A2>
  requires SpawnableWith<F, A1, A2>
auto spawn(F&& f, A1&& a1, A2&& a2, std::source_location where = std::source_location::current()) {
  return detail::spawn_with_args(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1),
                                 std::forward<A2>(a2));
}
template <class F, class A1, class A2, class A3>
  requires SpawnableWith<F, A1, A2, A3>
auto spawn(F&& f, A1&& a1, A2&& a2, A3&& a3, std::source_location where = std::source_location::current()) {
  return detail::spawn_with_args(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1),
                                 std::forward<A2>(a2), std::forward<A3>(a3));
}
template <class F, class A1, class A2, class A3, class A4>
  requires SpawnableWith<F, A1, A2, A3, A4>
auto spawn(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4,
           std::source_location where = std::source_location::current()) {
  return detail::spawn_with_args(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1),
                                 std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4));
}
template <class F, class A1, class A2, class A3, class A4, class A5>
  requires SpawnableWith<F, A1, A2, A3, A4, A5>
auto spawn(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5,
           std::source_location where = std::source_location::current()) {
  return detail::spawn_with_args(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1),
                                 std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4),
                                 std::forward<A5>(a5));
}
template <class F, class A1, class A2, class A3, class A4, class A5, class A6>
  requires SpawnableWith<F, A1, A2, A3, A4, A5, A6>
auto spawn(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5, A6&& a6,
           std::source_location where = std::source_location::current()) {
  return detail::spawn_with_args(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1),
                                 std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4),
                                 std::forward<A5>(a5), std::forward<A6>(a6));
}

// For executors: starts a run's main fiber, which nothing owns, so no
// cancellation is ever injected into it. Its location reads "main".
template <class T>
JoinHandle<T> start_main(Task<T> main) {
  JoinHandle<T> handle = detail::start_task(std::move(main), SourceLoc::custom(kMainSite));
  handle.fiber_record().canceller = Canceller::none;
  return handle;
}

// spawn(task) and detach() in one call; traced like any spawn.
template <class T>
void spawn_detached(Task<T> task, Outlive outlive = Outlive::forbidden,
                    std::source_location where = std::source_location::current()) {
  spawn(std::move(task), where).detach(outlive);
}

}  // namespace corosim
