#include <exception>
#include <string>

#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"
#include "corosim/runtime/task.h"

namespace corosim::detail {

void report_unawaited_task(const std::source_location& coroutine) {
  Executor* executor = current_executor();
  if (executor == nullptr) return;  // outside a run there is no run to fail
  const Fiber* fiber = current_fiber();
  // A drop or an unwinding exception skipped the await; it was not forgotten.
  if (unwinding_exceptions() > 0 || (fiber != nullptr && fiber->dropping)) return;
  const SourceLoc defined = SourceLoc::from(coroutine);
  std::string message = std::string("a Task of ") + defined.function() + " (" + defined.str() +
                        ") was destroyed without being awaited: its body never ran. A missing "
                        "co_await? Await it, spawn it, or drop it on purpose with "
                        "corosim::discard(std::move(task))";
  // Where the destroying fiber last stood: the same on every compiler, unlike
  // the line std::source_location gives for a coroutine.
  SourceLoc where = defined;
  if (fiber != nullptr && fiber->suspended_at.known()) {
    message += "; fiber " + std::to_string(fiber->id) + " destroyed it after its suspension at " +
               fiber->suspended_at.str();
    where = fiber->suspended_at;
  }
  executor->report_failure(Checker::unawaited_task, std::move(message), where);
}

}  // namespace corosim::detail
