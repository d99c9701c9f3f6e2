// random: every decision uniform from the seed, except forced suspensions,
// which happen at a suspension point with probability yield_per_mille / 1000
// (only asked when another fiber is ready). Uniform scheduling finds shallow
// ordering bugs fast; forced suspensions expose bugs hidden behind awaits that
// happened to be ready.
#pragma once

#include "corosim/executor/prng.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class RandomStrategy final : public Strategy {
 public:
  explicit RandomStrategy(std::uint64_t yield_per_mille = 250)
      : yield_odds_(detail::Prng::odds(yield_per_mille, 1000)) {}
  void begin_run(std::uint64_t seed) override { prng_.reseed(seed); }
  // The simulator calls it inline (sim/simulator.h): the two kinds of nearly
  // every decision come first.
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override {
    if (kind == DecisionKind::yield) return choose_yield();
    if (kind == DecisionKind::schedule) return choose_schedule(n);
    return seeded_choice(prng_, kind, n);
  }
  // The two kinds of nearly every decision, for the simulator's fast path.
  std::uint64_t choose_yield() noexcept { return prng_.hit(yield_odds_) ? 1 : 0; }
  std::uint64_t choose_schedule(std::uint64_t n) noexcept {
    return prng_.below(n);
  }  // as seeded_choice would
  // What choose_schedule(n) will answer `ahead` draws from now, unless its
  // draw is rejected (odds below n / 2^64): a guess to prefetch by.
  std::uint64_t guess_schedule(std::uint64_t n, std::uint64_t ahead) const noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(prng_.peek(ahead)) * n) >> 64);
  }
  std::string describe() const override { return "random"; }

 private:
  detail::Prng prng_;
  std::uint64_t yield_odds_;  // yield_per_mille as a threshold on one draw
};

}  // namespace corosim
