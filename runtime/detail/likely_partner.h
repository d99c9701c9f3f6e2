// LikelyPartner: a WaitTarget of a channel, naming as a waiter's likely
// partner in the wait-for graph the fiber that last used the other end — the
// last sender for waiting receivers, the last receiver for waiting senders
// (Chan, channel, Broadcast, Watch). Any holder of the channel may act, so
// the edge is not exclusive: it can explain a stuck run's cycle, never make a
// deadlock while others still run.
#pragma once

#include <cstdint>
#include <vector>

#include "corosim/executor/fiber.h"

namespace corosim::detail {

class LikelyPartner : public WaitTarget {
 public:
  void holder_ids(std::vector<std::uint32_t>& out) const override {
    std::uint32_t partner = kNoFiber;
    switch (waiting_side()) {
      case Side::receivers: partner = last_sender_; break;
      case Side::senders: partner = last_receiver_; break;
      case Side::nobody: break;
    }
    if (partner != kNoFiber) out.push_back(partner);
  }

 protected:
  enum class Side : std::uint8_t { nobody, receivers, senders };
  LikelyPartner() noexcept : WaitTarget(NeverExclusive{}) {}
  ~LikelyPartner() = default;
  // Who waits on it now; by default only receivers ever do.
  virtual Side waiting_side() const noexcept { return Side::receivers; }
  void note_sender(const Fiber* sender) noexcept {
    if (sender != nullptr) last_sender_ = sender->id;
  }
  // From the sending (receiving) fiber.
  void note_sender() noexcept { note_sender(current_fiber()); }
  void note_receiver() noexcept {
    if (const Fiber* receiver = current_fiber()) last_receiver_ = receiver->id;
  }

 private:
  std::uint32_t last_sender_ = kNoFiber;
  std::uint32_t last_receiver_ = kNoFiber;
};

}  // namespace corosim::detail
