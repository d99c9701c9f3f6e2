// random: every decision uniform from the seed, except forced suspensions,
// which happen at a suspension point with probability yield_per_mille / 1000
// (only asked when another fiber is ready). Uniform scheduling finds shallow
// ordering bugs fast; forced suspensions expose bugs hidden behind awaits that
// happened to be ready.
#pragma once

#include <algorithm>
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
  // From this many ready fibers on, a pick comes from a generator of its own,
  // as a draw over the next power of two redrawn until it names a ready fiber
  // (still uniform). The next dozens of picks are then known by looking ahead
  // (CrowdGuesses, below) whatever the queue's length does between them,
  // unless it crosses a power of two or a redraw's outcome flips: the
  // simulator prefetches them (sim/simulator.cpp). From the shared generator
  // they would be unforeseeable a few steps ahead, as other decisions draw
  // between picks and each pick scales by the length. Smaller crowds (every
  // bundled scenario) draw as they always did.
  static constexpr std::uint64_t kCrowd = 4096;
  std::uint64_t choose_schedule(std::uint64_t n) noexcept {
    if (n >= kCrowd) [[unlikely]]
      return crowd_pick(n);
    return prng_.below(n);
  }  // as seeded_choice would
  // The crowd generator's position (detail::Prng::position), from which
  // CrowdGuesses, below, foresees the crowd's picks.
  std::uint64_t crowd_position() const noexcept { return crowd_.position(); }
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

// The random strategy's next kAhead crowd picks (choose_schedule with n of
// RandomStrategy::kCrowd or more), foreseen for the simulator's prefetches
// (Simulator::prefetch_next_picks) and kept between its calls: a call that
// finds the strategy kBatch picks further along the draws it foresaw (the
// picks came as guessed) works out only the kBatch picks newly in view, not
// all kAhead again. Any other call (a new run, picks other than those
// guessed, n across a power of two) starts afresh. A guess is right as long
// as n stays what it was when the guess was made; a wrong one costs a
// wasted prefetch, never a different run.
class CrowdGuesses {
 public:
  static constexpr int kBatch = 16;
  static constexpr int kAhead = 4 * kBatch;

  // Brings the guesses up to the strategy's present, for a queue of n.
  void update(const RandomStrategy& strategy, std::uint64_t n) noexcept {
    const int shift = std::countl_zero(n - 1);
    if (whole_ && shift == shift_ && strategy.crowd_position() == position_[kBatch - 1]) {
      // The oldest batch was drawn: the rest move up, the batch newly in
      // view comes last. Moved, not a ring: the stages' loops then read
      // their guesses in a row, which measured faster at 1M fibers.
      std::copy(pick_ + kBatch, pick_ + kAhead, pick_);
      std::copy(position_ + kBatch, position_ + kAhead, position_);
      whole_ = guess(n, shift, position_[kAhead - kBatch - 1], kAhead - kBatch, kBatch);
      kept_ = true;
    } else {
      whole_ = guess(n, shift, strategy.crowd_position(), 0, kAhead);
      kept_ = false;
    }
    shift_ = shift;
  }
  // The pick k picks from now (1: the next), as guessed; 0 where the draws
  // looked at ran out before one was found.
  std::uint64_t ahead(int k) const noexcept { return pick_[k - 1]; }
  // The last update kept what it had seen and worked out one batch.
  bool kept() const noexcept { return kept_; }

 private:
  // Fills count slots from `fill` with the picks drawn after `position`;
  // true if every one was found.
  bool guess(std::uint64_t n, int shift, std::uint64_t position, int fill, int count) noexcept {
    int found = 0;
    // At most half the draws are redrawn (n just past a power of two).
    for (int draws = 4 * count; found < count && draws > 0; --draws) {
      position = detail::Prng::after(position);
      const std::uint64_t x = detail::Prng::value_at(position) >> shift;
      if (x < n) {
        pick_[fill + found] = x;
        position_[fill + found++] = position;
      }
    }
    for (int i = found; i < count; ++i) pick_[fill + i] = 0;
    return found == count;
  }

  std::uint64_t pick_[kAhead] = {};
  std::uint64_t position_[kAhead] = {};  // the crowd generator's, once that pick is drawn
  int shift_ = 0;
  bool whole_ = false;  // every slot holds a guess
  bool kept_ = false;
};

}  // namespace corosim
