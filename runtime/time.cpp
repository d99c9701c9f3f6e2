#include "runtime/time.h"

#include <cassert>

namespace corosim {

Duration now() {
  Executor* executor = current_executor();
  assert(executor != nullptr && "corosim::now() called outside a corosim executor");
  return Duration(static_cast<std::int64_t>(executor->now_ns()));
}

namespace detail {

SleepAwaiter::~SleepAwaiter() {
  if (node_.armed) node_.fiber->executor->cancel_timer(node_);
}

bool SleepAwaiter::await_ready() const {
  return node_.deadline_ns <= current_executor()->now_ns();
}

void SleepAwaiter::await_suspend(std::coroutine_handle<>) {
  node_.fiber = current_fiber();
  node_.fiber->executor->arm_timer(node_);
}

void YieldAwaiter::await_suspend(std::coroutine_handle<>) const {
  Fiber& fiber = *current_fiber();
  fiber.state = FiberState::ready;
  fiber_schedule(fiber);
}

}  // namespace detail
}  // namespace corosim
