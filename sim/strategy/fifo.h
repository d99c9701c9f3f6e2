// fifo: the oldest ready fiber runs, operands are never pre-empted, equal
// timers fire in arming order: the schedule a plain event loop would produce.
// Data randomness (corosim::random) and random cancellation still come from
// the seed.
#pragma once

#include "corosim/executor/prng.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class FifoStrategy final : public Strategy {
 public:
  void begin_run(std::uint64_t seed) override { prng_.reseed(seed); }
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override {
    switch (kind) {
      case DecisionKind::schedule:
      case DecisionKind::yield:
      case DecisionKind::timer_tie: return 0;
      default: return seeded_choice(prng_, kind, n);
    }
  }
  std::string describe() const override { return "fifo"; }

 private:
  detail::Prng prng_;
};

}  // namespace corosim
