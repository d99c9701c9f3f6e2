#include "corosim/runtime/countdown.h"

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim::detail {

Countdown::Countdown(const char* kind, std::uint64_t count, std::source_location created_at)
    : Ledger(SourceLoc::from(created_at)), count_(count), id_(new_object_id()), kind_(kind) {}

void Countdown::adjust(std::int64_t delta, const char* operation) {
  if (delta < 0 && static_cast<std::uint64_t>(-delta) > count_) {
    std::string name;
    describe(name);
    throw UsageError(std::string(operation) + " by " + std::to_string(-delta) + " takes " + name +
                     " below zero (created at " + created_at().str() +
                     "): more work was marked done than was added");
  }
  count_ += static_cast<std::uint64_t>(delta);
  trace_current(TraceKind::count, id_, count_);
  if (count_ != 0) return;
  waiters_.wake_all();
}

void Countdown::describe(std::string& out) const {
  out += kind_;
  out += "#";
  out += std::to_string(id_);
  out += " (count ";
  out += std::to_string(count_);
  out += ")";
}

void Countdown::audit(const FiberAlive&, std::string& out) const {
  if (count_ != 0 || waiters_.empty()) return;
  describe(out);
  out += " reached zero, but fiber " + std::to_string(waiters_.front()->fiber->id) +
         " still waits on it: a lost wake-up";
}

void Countdown::Waiter::await_suspend(std::coroutine_handle<>) {
  countdown_.waiters_.push_back(node_, running_fiber("countdown wait"));
  set_waiting_on(&countdown_);
}

}  // namespace corosim::detail
