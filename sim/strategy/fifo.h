// fifo: the oldest ready fiber runs, operands are never pre-empted, equal
// timers fire in arming order. Data randomness (corosim::random) still comes
// from the seed. The schedule a plain event loop would produce.
#pragma once

#include "runtime/detail/prng.h"
#include "sim/strategy/strategy.h"

namespace corosim {

class FifoStrategy final : public Strategy {
 public:
  void begin_run(std::uint64_t seed) override { prng_.reseed(seed); }
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override {
    return kind == DecisionKind::random ? prng_.below(n) : 0;
  }
  std::string describe() const override { return "fifo"; }

 private:
  detail::Prng prng_;
};

}  // namespace corosim
