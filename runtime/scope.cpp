#include "corosim/runtime/scope.h"

#include <cassert>
#include <exception>
#include <string>

namespace corosim {

TaskScope::TaskScope(std::source_location where) : where_(SourceLoc::from(where)) {
  if (Executor* executor = current_executor()) id_ = executor->new_object_id();
}

TaskScope::~TaskScope() {
  Fiber* owner = current_fiber();
  // Cancelled with its owner or unwound by an exception, a scope drops its
  // children by design; left behind on the normal path, it lost them.
  const bool abandoned =
      (live_ > 0 || error_) && owner != nullptr && !owner->dropping && detail::unwinding_exceptions() == 0;
  if (abandoned) {
    std::string what = live_ > 0
                           ? std::to_string(live_) + " child(ren) still running, now cancelled"
                           : "a child's exception that nobody rethrew: " + detail::describe_exception(error_);
    owner->executor->report_failure(Checker::unjoined_scope,
                                    "scope#" + std::to_string(id_) + " (created at " + where_.str() +
                                        ") was destroyed without co_await scope.join(), with " + what,
                                    where_);
  }
  cancel();
  assert(live_ == 0 && "a TaskScope was destroyed by one of its own children");
}

void TaskScope::link(Fiber& child) {
  child.scope = this;
  child.scope_prev = last_;
  child.scope_next = nullptr;
  (last_ != nullptr ? last_->scope_next : first_) = &child;
  last_ = &child;
  ++live_;
}

void TaskScope::cancel() {
  for (Fiber* child = first_; child != nullptr;) {
    Fiber* next = child->scope_next;
    detail::fiber_drop(*child);  // unlinks it unless it is running (dropped later)
    child = next;
  }
}

void TaskScope::describe(std::string& out) const {
  out += "scope#";
  out += std::to_string(id_);
  out += " (";
  out += std::to_string(live_);
  out += " children left)";
}

void TaskScope::JoinAwaiter::await_suspend(std::coroutine_handle<>) noexcept {
  assert(scope_.joiner_ == nullptr && "a TaskScope can be joined by one waiter at a time");
  scope_.joiner_ = current_fiber();
  registered_ = true;
  detail::set_waiting_on(&scope_);
}

void TaskScope::JoinAwaiter::await_resume() {
  registered_ = false;
  if (scope_.error_) std::rethrow_exception(std::exchange(scope_.error_, nullptr));
}

void detail_scope_child_done(TaskScope& scope, Fiber& child) {
  assert(child.scope == &scope);
  (child.scope_prev != nullptr ? child.scope_prev->scope_next : scope.first_) = child.scope_next;
  (child.scope_next != nullptr ? child.scope_next->scope_prev : scope.last_) = child.scope_prev;
  child.scope = nullptr;
  child.scope_prev = child.scope_next = nullptr;
  --scope.live_;

  std::exception_ptr error = detail::fiber_exception(child);
  // A child that unwound from a stop request was cancelled: like a dropped
  // child, it neither cancels its siblings nor fails the join.
  if (error && detail::is_cancelled(error)) {
    child.exception_seen = true;
  } else if (error) {
    child.exception_seen = true;  // the scope rethrows it from join()
    if (!scope.error_) {
      scope.error_ = error;
      scope.cancel();
    }
  }
  if (scope.live_ == 0 && scope.joiner_ != nullptr) {
    detail::fiber_wake(*std::exchange(scope.joiner_, nullptr));
  }
}

}  // namespace corosim
