// random: every decision uniform from the seed, except forced suspensions,
// which happen at a suspension point with probability yield_per_mille / 1000
// (only asked when another fiber is ready). Uniform scheduling finds shallow
// ordering bugs fast; forced suspensions expose bugs hidden behind awaits that
// happened to be ready.
#pragma once

#include <bit>

#include "corosim/executor/prng.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class RandomStrategy final : public Strategy {
 public:
  explicit RandomStrategy(std::uint64_t yield_per_mille = 250)
      : yield_odds_(detail::Prng::odds(yield_per_mille, 1000)) {}
  void begin_run(std::uint64_t seed) override {
    prng_.reseed(seed);
    crowd_.reseed(~seed);
  }
  // The simulator calls it inline (sim/simulator.h): the two kinds of nearly
  // every decision come first.
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override {
    if (kind == DecisionKind::yield) return choose_yield();
    if (kind == DecisionKind::schedule) return choose_schedule(n);
    return seeded_choice(prng_, kind, n);
  }
  // The two kinds of nearly every decision, for the simulator's fast path.
  std::uint64_t choose_yield() noexcept { return prng_.hit(yield_odds_) ? 1 : 0; }
  // From this many ready fibers on, a pick comes from a generator of its
  // own, as a draw over the next power of two redrawn until it names a
  // ready fiber (still uniform). The next dozens of picks are then known
  // from a peek (guess_crowd) whatever the queue's length does between them,
  // unless it crosses a power of two or a redraw's outcome flips: the
  // simulator prefetches them (sim/simulator.cpp). From the shared
  // generator they would be unforeseeable a few steps ahead, as other
  // decisions draw between picks and each pick scales by the length.
  // Smaller crowds (every bundled scenario) draw as they always did.
  static constexpr std::uint64_t kCrowd = 4096;
  std::uint64_t choose_schedule(std::uint64_t n) noexcept {
    if (n >= kCrowd) [[unlikely]]
      return crowd_pick(n);
    return prng_.below(n);
  }  // as seeded_choice would
  // guesses[k - 1]: what choose_schedule(n) answers k crowd picks from now,
  // k = 1..count, should n stay; 0 past the draws it looks at.
  void guess_crowd(std::uint64_t n, std::uint64_t* guesses, int count) const noexcept {
    const int shift = std::countl_zero(n - 1);
    int found = 0;
    // At most half the draws are redrawn (n just past a power of two).
    const std::uint64_t draws = 4 * static_cast<std::uint64_t>(count);
    for (std::uint64_t ahead = 1; found < count && ahead <= draws; ++ahead) {
      const std::uint64_t x = crowd_.peek(ahead) >> shift;
      if (x < n) guesses[found++] = x;
    }
    while (found < count) guesses[found++] = 0;
  }
  std::string describe() const override { return "random"; }

 private:
  detail::Prng prng_;
  detail::Prng crowd_;        // the picks in crowds of kCrowd or more
  std::uint64_t yield_odds_;  // yield_per_mille as a threshold on one draw

  std::uint64_t crowd_pick(std::uint64_t n) noexcept {
    const int shift = std::countl_zero(n - 1);
    for (;;) {
      const std::uint64_t x = crowd_.next() >> shift;
      if (x < n) return x;
    }
  }
};

}  // namespace corosim
