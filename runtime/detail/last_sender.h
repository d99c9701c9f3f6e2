// LastSender: a WaitTarget whose waiting receivers name, as their likely
// partner in the wait-for graph, the fiber that last sent (Watch, Broadcast).
// Any holder of the channel may send, so the edge is not exclusive: it can
// explain a stuck run's cycle, never make a deadlock while others still run.
#pragma once

#include <cstdint>
#include <vector>

#include "corosim/executor/fiber.h"

namespace corosim::detail {

class LastSender : public WaitTarget {
 public:
  void holder_ids(std::vector<std::uint32_t>& out) const override {
    if (last_sender_ != kNoFiber) out.push_back(last_sender_);
  }
  bool holders_exclusive() const noexcept override { return false; }

 protected:
  ~LastSender() = default;
  // Called by a send, from the sending fiber.
  void note_sender() noexcept {
    if (const Fiber* sender = current_fiber()) last_sender_ = sender->id;
  }

 private:
  std::uint32_t last_sender_ = kNoFiber;
};

}  // namespace corosim::detail
