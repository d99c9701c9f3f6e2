#include "corosim/runtime/mutex.h"

#include <cassert>

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

Mutex::Mutex(std::source_location created_at)
    : Ledger(SourceLoc::from(created_at)), id_(detail::new_object_id()) {}

void Mutex::audit(const FiberAlive& alive, std::string& out) const {
  if (!locked_ || guarded_ || holder_id_ == kNoFiber || alive(holder_id_)) return;
  out += "mutex#" + std::to_string(id_) + " is still locked by fiber " + std::to_string(holder_id_) +
         ", which has ended: a lock taken without a guard was never released";
}

void Mutex::acquired_by(const Fiber* fiber, bool awaited) {
  locked_ = true;
  pinned_ = awaited;
  guarded_ = awaited;  // lock()'s awaiter, then its guard; a try_lock() is manual
  holder_id_ = fiber != nullptr ? fiber->id : kNoFiber;
  if (fiber != nullptr) fiber->executor->trace(TraceKind::mutex_acquire, fiber, id_, 0);
}

bool Mutex::acquire_if_free(bool awaited) {
  if (locked_) return false;
  acquired_by(current_fiber(), awaited);
  return true;
}

// A manual hold: whoever calls unlock() releases it.
bool Mutex::try_lock() { return acquire_if_free(false); }

void Mutex::unlock() {
  assert(locked_ && "unlock of a mutex that is not locked");
  detail::trace_current(TraceKind::mutex_release, id_);
  if (waiters_.empty()) {
    locked_ = false;
    holder_id_ = kNoFiber;
    return;
  }
  detail::WaiterNode& node = waiters_.pop_front();
  static_cast<LockAwaiter*>(node.owner)->granted_ = true;
  acquired_by(node.fiber, true);  // the waiter's until it makes its guard
  detail::fiber_wake(*node.fiber);
}

void Mutex::describe(std::string& out) const {
  out += "mutex#";
  out += std::to_string(id_);
}

Mutex::LockAwaiter::~LockAwaiter() {
  detail::unlink_if_queued(node_);
  if (granted_ && !taken_) mutex_.unlock();  // dropped after the hand-off: pass it on
}

void Mutex::LockAwaiter::await_suspend(std::coroutine_handle<>) {
  node_.owner = this;
  mutex_.waiters_.push_back(node_, detail::running_fiber("mutex lock"));
  detail::set_waiting_on(&mutex_);
}

}  // namespace corosim
