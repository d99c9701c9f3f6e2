#include "corosim/runtime/broadcast.h"

#include <algorithm>

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim::detail {

BroadcastState::BroadcastState(std::size_t capacity, const SourceLoc& created_at)
    : Ledger(created_at), capacity_(std::max<std::size_t>(capacity, 1)), id_(new_object_id()) {}

std::size_t BroadcastState::subscribed() {
  ++receivers_;
  if (!free_slots_.empty()) {
    const std::size_t slot = free_slots_.back();
    free_slots_.pop_back();
    positions_[slot] = next_seq_;
    return slot;
  }
  positions_.push_back(next_seq_);
  return positions_.size() - 1;
}

void BroadcastState::unsubscribed(std::size_t slot) noexcept {
  --receivers_;
  abandoned_ += next_seq_ - positions_[slot];
  positions_[slot] = kFreeSlot;
  free_slots_.push_back(slot);
}

bool BroadcastState::admit() {
  if (closed_) {
    throw UsageError("send on broadcast#" + std::to_string(id_) + " (created at " + created_at().str() +
                     ") after close()");
  }
  if (receivers_ == 0) return false;
  ++next_seq_;
  owed_ += receivers_;
  note_sender();
  trace_current(TraceKind::channel_send, id_, next_seq_);
  waiters_.wake_all();
  return true;
}

std::uint64_t BroadcastState::skip_lag(std::uint64_t& position) {
  const std::uint64_t missed = head_seq_ - position;
  missed_ += missed;
  position = head_seq_;
  return missed;
}

void BroadcastState::delivered(std::uint64_t& position) {
  ++delivered_;
  ++position;
  trace_current(TraceKind::channel_recv, id_, delivered_);
}

void BroadcastState::park(WaiterNode& node, std::size_t slot) {
  // The node's owner is the position it waits at (read by the audit); a
  // deque's elements stay put as slots are added.
  node.owner = &positions_[slot];
  waiters_.push_back(node, running_fiber("broadcast.recv"));
  set_waiting_on(this);
}

void BroadcastState::close() {
  if (closed_) return;
  closed_ = true;
  trace_current(TraceKind::channel_close, id_);
  waiters_.wake_all();
}

void BroadcastState::describe(std::string& out) const {
  out += "broadcast#" + std::to_string(id_) + (closed_ ? " (closed)" : "");
}

void BroadcastState::audit(const FiberAlive&, std::string& out) const {
  std::uint64_t pending = 0;
  for (const std::uint64_t position : positions_) {
    if (position != kFreeSlot) pending += next_seq_ - position;
  }
  const std::uint64_t accounted = delivered_ + missed_ + abandoned_ + pending;
  if (owed_ != accounted) {
    describe(out);
    out += " owes " + std::to_string(owed_) +
           " deliveries (each value to every receiver subscribed) but accounts for " +
           std::to_string(accounted) + " (delivered " + std::to_string(delivered_) + " + missed " +
           std::to_string(missed_) + " + left unread " + std::to_string(abandoned_) + " + pending " +
           std::to_string(pending) + ")";
    return;
  }
  for (const WaiterNode* node = waiters_.front(); node != nullptr; node = node->next) {
    const std::uint64_t position = *static_cast<const std::uint64_t*>(node->owner);
    if (next_for(position) == Next::nothing) continue;
    describe(out);
    out += ": fiber " + std::to_string(node->fiber->id) +
           (closed_ ? " still waits after close()" : " still waits though a value is there for it") +
           ": a lost wake-up";
    return;
  }
}

}  // namespace corosim::detail
