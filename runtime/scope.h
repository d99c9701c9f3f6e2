// TaskScope: structured concurrency (a nursery). Fibers spawned into a scope
// belong to it; co_await scope.join() returns once every child has finished.
//
// Contract:
// - join() waits for all children; the joiner is resumed by the executor after
//   the last child finishes. If a child threw, the first exception cancels
//   (drops) the remaining children and join() rethrows it.
// - cancel() drops every live child now (a running child: at the end of its
//   step). Cancel-safety of join(): total — cancelling the join leaves the
//   children running; joining again waits for them.
// - Destroying a scope drops its live children, so no child outlives the frame
//   that owns the scope. Destroying it un-joined on the normal path (not while
//   its owner is cancelled or unwinding an exception), with children still
//   running or a child's exception never rethrown, is reported by the
//   unjoined-scope checker.
// - Spawning into a scope from a destructor is fine (the scope joins the child):
//   the structured way to hand off cleanup.
#pragma once

#include <concepts>
#include <cstddef>
#include <exception>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>

#include "corosim/runtime/spawn.h"

namespace corosim {

class TaskScope final : public WaitTarget {
 public:
  explicit TaskScope(std::source_location where = std::source_location::current());
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;
  ~TaskScope();

  // Spawns a child (a Task or a callable returning a Task); its value, if any,
  // is discarded.
  template <class F>
  void spawn(F&& body, std::source_location where = std::source_location::current()) {
    adopt(detail::spawn_owned(std::forward<F>(body), SourceLoc::from(where)));
  }
  // Spawns a child from a callable and its arguments (moved into the child);
  // one overload per count of arguments, as corosim::spawn, so the child
  // records where it was spawned.
  template <class F, class A1>
    requires SpawnableWith<F, A1>
  void spawn(F&& f, A1&& a1, std::source_location where = std::source_location::current()) {
    adopt(detail::spawn_owned_with(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1)));
  }
  template <class F, class A1, class A2>
    requires SpawnableWith<F, A1, A2>
  void spawn(F&& f, A1&& a1, A2&& a2, std::source_location where = std::source_location::current()) {
    adopt(detail::spawn_owned_with(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1),
                                   std::forward<A2>(a2)));
  }
  template <class F, class A1, class A2, class A3>
    requires SpawnableWith<F, A1, A2, A3>
  void spawn(F&& f, A1&& a1, A2&& a2, A3&& a3, std::source_location where = std::source_location::current()) {
    adopt(detail::spawn_owned_with(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1),
                                   std::forward<A2>(a2), std::forward<A3>(a3)));
  }
  template <class F, class A1, class A2, class A3, class A4>
    requires SpawnableWith<F, A1, A2, A3, A4>
  void spawn(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4,
             std::source_location where = std::source_location::current()) {
    adopt(detail::spawn_owned_with(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1),
                                   std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4)));
  }
  template <class F, class A1, class A2, class A3, class A4, class A5>
    requires SpawnableWith<F, A1, A2, A3, A4, A5>
  void spawn(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5,
             std::source_location where = std::source_location::current()) {
    adopt(detail::spawn_owned_with(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1),
                                   std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4),
                                   std::forward<A5>(a5)));
  }
  template <class F, class A1, class A2, class A3, class A4, class A5, class A6>
    requires SpawnableWith<F, A1, A2, A3, A4, A5, A6>
  void spawn(F&& f, A1&& a1, A2&& a2, A3&& a3, A4&& a4, A5&& a5, A6&& a6,
             std::source_location where = std::source_location::current()) {
    adopt(detail::spawn_owned_with(SourceLoc::from(where), std::forward<F>(f), std::forward<A1>(a1),
                                   std::forward<A2>(a2), std::forward<A3>(a3), std::forward<A4>(a4),
                                   std::forward<A5>(a5), std::forward<A6>(a6)));
  }

  class JoinAwaiter {
   public:
    static constexpr const char* corosim_what = "scope.join";
    explicit JoinAwaiter(TaskScope& scope) noexcept : scope_(scope) {}
    JoinAwaiter(const JoinAwaiter&) = delete;
    ~JoinAwaiter() {
      if (scope_.joiner_ != nullptr && registered_) scope_.joiner_ = nullptr;
    }
    static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
    bool await_ready() const noexcept { return scope_.live_ == 0; }
    void await_suspend(std::coroutine_handle<>) noexcept;
    void await_resume();

   private:
    TaskScope& scope_;
    bool registered_ = false;
  };
  [[nodiscard]] JoinAwaiter join() noexcept { return JoinAwaiter(*this); }

  void cancel();
  std::size_t live() const noexcept { return live_; }

  void describe(std::string& out) const override;

 private:
  friend void detail_scope_child_done(TaskScope& scope, Fiber& child);

  template <class T>
  void adopt(JoinHandle<T> handle) {
    Fiber* child = std::exchange(handle.fiber_, nullptr);
    child->handle_alive = false;  // the scope, not a handle, now answers for it
    link(*child);
  }
  void link(Fiber& child);

  Fiber* first_ = nullptr;
  Fiber* last_ = nullptr;
  std::size_t live_ = 0;
  Fiber* joiner_ = nullptr;
  std::exception_ptr error_;
  SourceLoc where_;
  std::uint32_t id_ = 0;
};

// Called by the runtime when a child of scope finishes or is dropped.
void detail_scope_child_done(TaskScope& scope, Fiber& child);

}  // namespace corosim
