#include <string>

#include "corosim/runtime/detail/waiter_list.h"

namespace corosim::detail {

void WaiterList::report_destroyed_while_waited() noexcept {
  std::string fibers;
  int count = 0;
  while (!empty()) {
    WaiterNode& node = pop_front();
    if (count++ != 0) fibers += ", ";
    fibers += std::to_string(node.fiber->id);
  }
  if (Executor* executor = current_executor()) {
    const Fiber* fiber = current_fiber();
    try {
      executor->report_failure(Checker::dangling_wait,
                               "a primitive was destroyed while fiber(s) " + fibers +
                                   " still waited on it; they can never be woken (the owner went away first)",
                               fiber != nullptr ? fiber->suspended_at : SourceLoc{});
    } catch (...) {
      // Reporting must not throw out of a destructor; the failure is lost.
    }
  }
}

}  // namespace corosim::detail
