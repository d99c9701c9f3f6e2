// Prng: our own generator (wyrand: a Weyl sequence of one 64-bit word, each
// step folded through a 64x64->128-bit multiply) and bounded draw (Lemire's
// multiply-shift with rejection). Identical on every standard library, so a
// seed replays everywhere; std distributions are not. wyrand passes BigCrush
// and PractRand (it is known to fail PractRand only after some 32 TB, far
// beyond any run). It replaced xoshiro256**, whose four words of state cost
// every draw (one per scheduling choice) about three times the instructions
// and every run's reseed four finaliser rounds.
#pragma once

#include <cstdint>

namespace corosim::detail {

class Prng {
 public:
  explicit Prng(std::uint64_t seed = 0) noexcept { reseed(seed); }

  // The seed goes through SplitMix64's finaliser once, so that nearby seeds
  // (runs 0, 1, 2, ...) start far apart on the sequence.
  void reseed(std::uint64_t seed) noexcept { state_ = finalise(seed); }

  std::uint64_t next() noexcept {
    state_ += kIncrement;
    return fold(state_);
  }

  // Where the sequence stands, to look ahead without drawing (the random
  // strategy's crowd guesses, for prefetching what later draws will pick)
  // and to know later whether what was seen still lies ahead:
  // value_at(after(position())) is what next() returns.
  std::uint64_t position() const noexcept { return state_; }
  static std::uint64_t after(std::uint64_t position) noexcept { return position + kIncrement; }
  static std::uint64_t value_at(std::uint64_t position) noexcept { return fold(position); }

  // Uniform in [0, bound); bound > 0.
  std::uint64_t below(std::uint64_t bound) noexcept {
    unsigned __int128 product = static_cast<unsigned __int128>(next()) * bound;
    auto low = static_cast<std::uint64_t>(product);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        product = static_cast<unsigned __int128>(next()) * bound;
        low = static_cast<std::uint64_t>(product);
      }
    }
    return static_cast<std::uint64_t>(product >> 64);
  }

  // The odds numerator / denominator as a threshold on one draw, for hit():
  // computed once by a caller that asks often (the random strategy's yield,
  // at most awaits), so each ask is a draw and a compare. Exact when the
  // denominator divides 2^64 (1/4, 1/8); otherwise, and for a certainty
  // (numerator >= denominator), off by less than 2^-64.
  static constexpr std::uint64_t odds(std::uint64_t numerator, std::uint64_t denominator) noexcept {
    if (numerator >= denominator) return ~std::uint64_t{0};
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(numerator) << 64) / denominator);
  }
  bool hit(std::uint64_t threshold) noexcept { return next() < threshold; }

  // True with probability numerator / denominator.
  bool chance(std::uint64_t numerator, std::uint64_t denominator) noexcept {
    return hit(odds(numerator, denominator));
  }

 private:
  static constexpr std::uint64_t kIncrement = 0xa0761d6478bd642fULL;
  static constexpr std::uint64_t kMix = 0xe7037ed1a0b428dbULL;
  // A state of the Weyl sequence, folded into its output.
  static std::uint64_t fold(std::uint64_t state) noexcept {
    const unsigned __int128 product = static_cast<unsigned __int128>(state) * (state ^ kMix);
    return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
  }
  static std::uint64_t finalise(std::uint64_t z) noexcept {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t state_;
};

}  // namespace corosim::detail
