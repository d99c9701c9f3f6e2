#include "corosim/runtime/watch.h"

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim::detail {

WatchState::WatchState(const SourceLoc& created_at) : Ledger(created_at), id_(new_object_id()) {}

void WatchState::changed() {
  if (closed_) {
    throw UsageError("send on watch#" + std::to_string(id_) + " (created at " + created_at().str() +
                     ") after close()");
  }
  ++version_;
  note_sender();
  trace_current(TraceKind::count, id_, version_);
  waiters_.wake_all();
}

void WatchState::close() {
  closed_ = true;
  waiters_.wake_all();
}

void WatchState::ChangedAwaiter::await_suspend(std::coroutine_handle<>) {
  node_.owner = this;
  state_.waiters_.push_back(node_, running_fiber(corosim_what));
  set_waiting_on(&state_);
}

void WatchState::describe(std::string& out) const {
  out += "watch#" + std::to_string(id_) + " (version " + std::to_string(version_) +
         (closed_ ? ", closed)" : ")");
}

void WatchState::audit(const FiberAlive&, std::string& out) const {
  for (const WaiterNode* node = waiters_.front(); node != nullptr; node = node->next) {
    const auto& waiter = *static_cast<const ChangedAwaiter*>(node->owner);
    if (!closed_ && waiter.seen_ == version_) continue;
    describe(out);
    out +=
        ": fiber " + std::to_string(node->fiber->id) +
        (closed_ ? " still waits for a change after close()" : " still waits though a newer version is in") +
        ": a lost wake-up";
    return;
  }
}

}  // namespace corosim::detail
