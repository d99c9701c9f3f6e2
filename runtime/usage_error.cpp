#include "corosim/runtime/usage_error.h"

#include <string>

namespace corosim::detail {

void throw_outside_executor(const char* what, const SourceLoc& where) {
  std::string text = std::string("corosim: ") + what;
  if (where.known()) text += " at " + where.str();
  text +=
      " with no corosim executor running on this thread. corosim coroutines run only inside a "
      "run: a CORO_SCENARIO body, corosim::explore(), Simulator::run() or EventLoop::run(). "
      "Start the coroutine there (co_await it from the scenario's Task, or spawn it from a "
      "fiber) instead of from plain code or another library's coroutine.";
  throw UsageError(text);
}

}  // namespace corosim::detail
