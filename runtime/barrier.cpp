#include "corosim/runtime/barrier.h"

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

Barrier::Barrier(std::size_t participants, std::source_location created_at)
    : Ledger(SourceLoc::from(created_at)), expected_(participants), id_(detail::new_object_id()) {}

bool Barrier::arrive(const char* operation, bool drop) {
  if (arrived_ >= expected_) {
    std::string name;
    describe(name);
    throw UsageError(std::string(operation) + " on " + name + " (created at " + created_at().str() +
                     "): more arrivals than participants");
  }
  ++arrived_;
  if (drop) ++dropped_;
  detail::trace_current(TraceKind::count, id_, arrived_);
  if (arrived_ < expected_) return false;
  complete_phase();
  return true;
}

void Barrier::complete_phase() {
  waiters_.wake_all();
  expected_ -= dropped_;
  arrived_ = 0;
  dropped_ = 0;
  ++phase_;
}

void Barrier::arrive_and_drop() { arrive("barrier.arrive_and_drop", true); }

void Barrier::describe(std::string& out) const {
  out += "barrier#" + std::to_string(id_) + " (" + std::to_string(arrived_) + " of " +
         std::to_string(expected_) + " arrived, phase " + std::to_string(phase_) + ")";
}

void Barrier::audit(const FiberAlive&, std::string& out) const {
  std::size_t waiting = 0;
  for (const detail::WaiterNode* node = waiters_.front(); node != nullptr; node = node->next) ++waiting;
  if (arrived_ == waiting + dropped_ && (arrived_ < expected_ || expected_ == 0)) return;
  describe(out);
  out += " counts " + std::to_string(arrived_) + " arrival(s) but " + std::to_string(waiting) +
         " fiber(s) wait and " + std::to_string(dropped_) +
         " dropped out: an arrival was not withdrawn, or a completed phase left a waiter behind";
}

Barrier::ArriveAwaiter::~ArriveAwaiter() {
  if (node_.list == nullptr) return;
  detail::unlink_if_queued(node_);
  --barrier_.arrived_;  // still waiting: the phase needs this participant again
  detail::trace_current(TraceKind::count, barrier_.id_, barrier_.arrived_);
}

bool Barrier::ArriveAwaiter::await_ready() {
  leader_ = barrier_.arrive("barrier.arrive_and_wait", false);
  return leader_;
}

void Barrier::ArriveAwaiter::await_suspend(std::coroutine_handle<>) {
  barrier_.waiters_.push_back(node_, detail::running_fiber(corosim_what));
  detail::set_waiting_on(&barrier_);
}

}  // namespace corosim
