#include "corosim/runtime/condvar.h"

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

class CondVar::Parked {
 public:
  static constexpr const char* corosim_what = "condvar.wait";
  Parked(CondVar& cv, Waiter& waiter) noexcept : cv_(cv), waiter_(waiter) {}
  Parked(const Parked&) = delete;
  Parked& operator=(const Parked&) = delete;

  // Notified between the unlock and here (pre-empted in between): no park.
  bool await_ready() const noexcept { return waiter_.woken(); }
  void await_suspend(std::coroutine_handle<>) {
    waiter_.park();
    detail::set_waiting_on(&cv_);
  }
  void await_resume() const noexcept {}

 private:
  CondVar& cv_;
  Waiter& waiter_;
};

CondVar::CondVar(std::source_location created_at)
    : Ledger(SourceLoc::from(created_at)), id_(detail::new_object_id()) {}

Task<void> CondVar::wait(Mutex::Guard& guard) {
  Mutex* mutex = guard.mutex();
  if (mutex == nullptr) {
    throw UsageError(
        "CondVar::wait with a guard that holds no lock: lock the mutex first (co_await mutex.lock())");
  }
  Waiter waiter(*this);  // passes a notification on if this frame goes away first
  waiter.enqueue(detail::running_fiber("condvar.wait"));  // before the unlock: see Waiter::enqueue
  guard.unlock();
  co_await Parked(*this, waiter);
  guard = co_await mutex->lock();
  waiter.take();
}

void CondVar::notify_one() {
  detail::trace_current(TraceKind::notify, id_, 1);
  issue_token();
}

void CondVar::notify_all() {
  detail::trace_current(TraceKind::notify, id_, 0);
  wake_all();
}

void CondVar::describe(std::string& out) const {
  out += "condvar#";
  out += std::to_string(id_);
}

void CondVar::audit(const FiberAlive&, std::string& out) const {
  const std::uint64_t accounted = tokens_taken() + unheard_ + tokens_in_flight();
  if (accounted == tokens_issued()) return;
  out += "condvar#" + std::to_string(id_) + " had " + std::to_string(tokens_issued()) +
         " notify_one() calls but accounts for " + std::to_string(accounted) +
         " (taken by waiters that returned, found nobody waiting, in flight to woken waiters): a wake-up was "
         "lost";
}

}  // namespace corosim
