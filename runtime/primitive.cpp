#include "corosim/runtime/primitive.h"

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

std::uint32_t current_fiber_id() noexcept {
  const Fiber* fiber = current_fiber();
  return fiber != nullptr ? fiber->id : kNoFiber;
}

std::uint32_t new_object_id() noexcept { return detail::new_object_id(); }

void next_step_touches(std::uint32_t object, Access access) noexcept {
  if (Fiber* fiber = current_fiber()) fiber->declared_touch = touch_of(object, access == Access::write);
}
void next_step_touches_nothing() noexcept {
  if (Fiber* fiber = current_fiber()) fiber->declared_touch = kTouchNothing;
}

void WaitQueue::ParkAwaiter::await_suspend(std::coroutine_handle<>) {
  Fiber& fiber = detail::running_fiber(queue_.what_);
  ticket_.woken_ = false;
  ticket_.node_.owner = &ticket_;
  queue_.waiters_.push_back(ticket_.node_, fiber);
  // The hook named the operand "park"; reports name the primitive's operation.
  fiber.waiting_what = queue_.what_;
  detail::set_waiting_on(&queue_.target_);
}

bool WaitQueue::wake_one() {
  while (!waiters_.empty()) {
    detail::WaiterNode& node = waiters_.pop_front();
    // An interrupted waiter is already unwinding; the wake-up goes to the next.
    if (node.fiber->state != FiberState::waiting) continue;
    static_cast<Ticket*>(node.owner)->woken_ = true;
    detail::fiber_wake(*node.fiber);
    return true;
  }
  return false;
}

std::size_t WaitQueue::wake_all() {
  std::size_t woken = 0;
  while (wake_one()) ++woken;
  return woken;
}

}  // namespace corosim
