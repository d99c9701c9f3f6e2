#include "corosim/runtime/semaphore.h"

#include <string>

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

Semaphore::Semaphore(std::size_t permits)
    : capacity_(permits), available_(permits), id_(detail::new_object_id()) {}

bool Semaphore::try_acquire(std::size_t count) {
  if (!waiters_.empty() || available_ < count) return false;
  available_ -= count;
  detail::trace_current(TraceKind::semaphore_acquire, id_, count);
  return true;
}

void Semaphore::release(std::size_t count) {
  if (count > capacity_ - available_) {
    throw UsageError("Semaphore::release(" + std::to_string(count) + ") on semaphore#" + std::to_string(id_) +
                     ", which has " + std::to_string(capacity_ - available_) +
                     " permit(s) held: releasing more than are held would invent permits; "
                     "add_permits() adds new ones (a V, sem_post)");
  }
  available_ += count;
  detail::trace_current(TraceKind::semaphore_release, id_, count);
  serve_waiters();
}

void Semaphore::add_permits(std::size_t count) {
  capacity_ += count;
  available_ += count;
  detail::trace_current(TraceKind::semaphore_release, id_, count);
  serve_waiters();
}

void Semaphore::serve_waiters() {
  while (!waiters_.empty()) {
    auto& awaiter = *static_cast<AcquireAwaiter*>(waiters_.front()->owner);
    if (available_ < awaiter.count_) return;
    waiters_.pop_front();
    available_ -= awaiter.count_;
    awaiter.granted_ = true;
    Fiber& fiber = *awaiter.node_.fiber;
    fiber.executor->trace(TraceKind::semaphore_acquire, &fiber, id_, awaiter.count_);
    detail::fiber_wake(fiber);
  }
}

void Semaphore::describe(std::string& out) const {
  out += "semaphore#";
  out += std::to_string(id_);
  out += " (";
  out += std::to_string(available_);
  out += "/";
  out += std::to_string(capacity_);
  out += " available)";
}

Semaphore::AcquireAwaiter::~AcquireAwaiter() {
  if (node_.list != nullptr) {
    detail::unlink_if_queued(node_);
    semaphore_.serve_waiters();  // we may have been blocking smaller requests
  }
  if (granted_ && !taken_) semaphore_.release(count_);
}

void Semaphore::AcquireAwaiter::await_suspend(std::coroutine_handle<>) {
  node_.owner = this;
  semaphore_.waiters_.push_back(node_, detail::running_fiber("semaphore acquire"));
  detail::set_waiting_on(&semaphore_);
}

}  // namespace corosim
