#include "corosim/runtime/detail/wake_queue.h"

#include <utility>

namespace corosim::detail {

bool WakeQueue::wake(bool token) {
  while (!waiting_.empty()) {
    WaiterNode& node = waiting_.pop_front();
    Waiter& waiter = *static_cast<Waiter*>(node.owner);
    // An interrupted waiter is already unwinding; the wake-up goes to the next.
    if (waiter.parked_ && node.fiber->state != FiberState::waiting) continue;
    waiter.holds_token_ = token;
    woken_.push_back(node, *node.fiber);
    // Enqueued but not parked yet: it finds the wake-up when it gets there.
    if (waiter.parked_) fiber_wake(*node.fiber);
    return true;
  }
  return false;
}

std::size_t WakeQueue::wake_all() {
  std::size_t woken = 0;
  while (wake(false)) ++woken;
  return woken;
}

bool WakeQueue::take(Waiter& waiter) {
  if (waiter.node_.list != &woken_) return false;
  woken_.unlink(waiter.node_);
  if (std::exchange(waiter.holds_token_, false)) ++tokens_taken_;
  return true;
}

void WakeQueue::leave(Waiter& waiter) {
  if (waiter.node_.list != &woken_) {
    unlink_if_queued(waiter.node_);
    return;
  }
  woken_.unlink(waiter.node_);
  // Woken by notify_one and going away without taking it: pass it on.
  if (std::exchange(waiter.holds_token_, false) && !wake_one()) unclaimed_token();
}

std::uint64_t WakeQueue::tokens_in_flight() const noexcept {
  std::uint64_t count = 0;
  for (const WaiterNode* node = woken_.front(); node != nullptr; node = node->next) {
    if (static_cast<const Waiter*>(node->owner)->holds_token_) ++count;
  }
  return count;
}

}  // namespace corosim::detail
