#include "corosim/runtime/time.h"

#include "corosim/runtime/usage_error.h"

namespace corosim {

Duration now(std::source_location where) {
  return Duration(
      static_cast<std::int64_t>(detail::require_executor("corosim::now()", SourceLoc::from(where)).now_ns()));
}

namespace detail {

SleepAwaiter::~SleepAwaiter() {
  if (node_.armed) node_.fiber->executor->cancel_timer(node_);
}

bool SleepAwaiter::await_ready() const {
  return node_.deadline_ns <= require_executor("corosim::sleep_for()/sleep_until()").now_ns();
}

void SleepAwaiter::await_suspend(std::coroutine_handle<>) {
  node_.fiber = current_fiber();
  node_.fiber->executor->arm_timer(node_);
}

void YieldAwaiter::await_suspend(std::coroutine_handle<>) const {
  Fiber* current = current_fiber();
  if (current == nullptr) throw_outside_executor("corosim::yield_now()", {});
  Fiber& fiber = *current;
  fiber.state = FiberState::ready;
  fiber_schedule(fiber);
}

}  // namespace detail
}  // namespace corosim
