#include "corosim/runtime/notify.h"

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

Notify::Notify(std::source_location created_at)
    : Ledger(SourceLoc::from(created_at)), id_(detail::new_object_id()) {}

void Notify::notify_one() {
  detail::trace_current(TraceKind::notify, id_, 1);
  issue_token();
}

void Notify::notify_waiters() {
  detail::trace_current(TraceKind::notify, id_, 0);
  wake_all();
}

void Notify::unclaimed_token() {
  if (permit_) {
    ++coalesced_;  // permits do not add up: one notified() completes
  } else {
    permit_ = true;
  }
}

bool Notify::take_permit() noexcept {
  if (!permit_) return false;
  permit_ = false;
  ++permits_taken_;
  return true;
}

void Notify::describe(std::string& out) const {
  out += "notify#";
  out += std::to_string(id_);
}

void Notify::audit(const FiberAlive&, std::string& out) const {
  const std::uint64_t accounted =
      tokens_taken() + permits_taken_ + coalesced_ + (permit_ ? 1 : 0) + tokens_in_flight();
  if (accounted == tokens_issued()) return;
  out +=
      "notify#" + std::to_string(id_) + " had " + std::to_string(tokens_issued()) +
      " notify_one() calls but accounts for " + std::to_string(accounted) +
      " (taken by waiters, permits taken, merged into a stored permit, stored, in flight to woken waiters): "
      "a wake-up was lost";
}

Notify::Notified::Notified(Notify& notify) noexcept : notify_(notify), waiter_(notify) {}

bool Notify::Notified::await_ready() noexcept { return notify_.take_permit(); }

void Notify::Notified::await_suspend(std::coroutine_handle<>) {
  waiter_.enqueue(detail::running_fiber("notify.notified"));
  waiter_.park();
  detail::set_waiting_on(&notify_);
}

void Notify::Notified::await_resume() { waiter_.take(); }

}  // namespace corosim
