// UsageError: a corosim API used where it cannot work, thrown with a message
// that says what to do instead. The one case today: a corosim operation
// (spawn, a suspension point inside a Task, now, sleep, random) reached with
// no corosim executor running on this thread — typically a Task started from
// plain code or awaited by another library's coroutine outside a run.
//
// It is a std::logic_error: a bug in the calling code, never something the
// simulator injects, so it is not mistaken for Cancelled.
#pragma once

#include <stdexcept>

#include "corosim/executor/executor.h"
#include "corosim/executor/source_loc.h"

namespace corosim {

class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {

// Throws UsageError naming `what` and `where` (when known).
[[noreturn]] void throw_outside_executor(const char* what, const SourceLoc& where);

// The running executor, or UsageError.
inline Executor& require_executor(const char* what, const SourceLoc& where = {}) {
  Executor* executor = current_executor();
  if (executor == nullptr) throw_outside_executor(what, where);
  return *executor;
}

// The fiber running this code, or UsageError: for awaiters that another
// library's coroutine may await directly, without a Task's hook in front.
inline Fiber& running_fiber(const char* what) {
  Fiber* fiber = current_fiber();
  if (fiber == nullptr) throw_outside_executor(what, {});
  return *fiber;
}

}  // namespace detail
}  // namespace corosim
