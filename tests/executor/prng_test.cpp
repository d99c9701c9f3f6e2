// executor/prng.h: a seed names a run on every compiler and library, so the
// generator's stream is pinned here; its draws must also be uniform and
// neighbouring seeds (runs 0, 1, 2, ...) unrelated.
#include <catch2/catch.hpp>
#include <array>
#include <cstdint>
#include <set>
#include <vector>

#include "corosim/executor/prng.h"
#include "corosim/sim/strategy/random.h"

TEST_CASE("prng: the stream of a seed is pinned: wyrand from the seed finalised once", "[prng]") {
  // The expected words come from an independent implementation (Python):
  // state = SplitMix64's finaliser of the seed, then wyrand's steps.
  corosim::detail::Prng zero(0);
  CHECK(zero.next() == 0x7950d340a3b9a42dULL);
  CHECK(zero.next() == 0xbe1a790822323877ULL);
  CHECK(zero.next() == 0xdc8864b58f7f72c8ULL);
  corosim::detail::Prng twelve(12);
  CHECK(twelve.next() == 0x58598f99585a1289ULL);
  CHECK(twelve.next() == 0xa5683b8419cae82eULL);
  corosim::detail::Prng seven(7);
  const std::array<std::uint64_t, 8> draws = {623, 719, 256, 884, 809, 696, 489, 330};
  for (std::uint64_t expected : draws) CHECK(seven.below(1000) == expected);
}

TEST_CASE("prng: odds are thresholds on one draw", "[prng]") {
  using corosim::detail::Prng;
  CHECK(Prng::odds(250, 1000) == std::uint64_t{1} << 62);
  CHECK(Prng::odds(1, 8) == std::uint64_t{1} << 61);
  CHECK(Prng::odds(1, 3) == 0x5555555555555555ULL);
  CHECK(Prng::odds(0, 1000) == 0);
  CHECK(Prng::odds(1000, 1000) == ~std::uint64_t{0});
  Prng never(3);
  Prng always(3);
  for (int i = 0; i < 1000; ++i) {
    CHECK_FALSE(never.hit(Prng::odds(0, 1000)));
    CHECK(always.chance(7, 7));
  }
}

TEST_CASE("prng: bounded draws are uniform", "[prng]") {
  // Chi-square over 10 buckets, 9 degrees of freedom: 27.9 is the 0.1% tail.
  for (std::uint64_t seed : {0, 1, 99}) {
    corosim::detail::Prng prng(seed);
    std::array<int, 10> counts{};
    constexpr int kDraws = 100'000;
    for (int i = 0; i < kDraws; ++i) ++counts.at(prng.below(10));
    double chi_square = 0;
    for (int count : counts) {
      const double off = count - kDraws / 10.0;
      chi_square += off * off / (kDraws / 10.0);
    }
    INFO("seed " << seed);
    CHECK(chi_square < 27.9);
  }
  corosim::detail::Prng prng(5);
  int yes = 0;
  for (int i = 0; i < 100'000; ++i) yes += prng.chance(250, 1000) ? 1 : 0;
  CHECK(yes > 24'000);
  CHECK(yes < 26'000);
}

TEST_CASE("prng: neighbouring seeds give unrelated streams", "[prng]") {
  std::set<std::uint64_t> seen;
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    corosim::detail::Prng prng(seed);
    for (int i = 0; i < 64; ++i) seen.insert(prng.next());
  }
  CHECK(seen.size() == 64u * 64u);  // no stream repeats another, shifted or not
}

TEST_CASE("prng: a peek is the draw that many steps ahead and draws nothing", "[prng]") {
  corosim::detail::Prng drawn(42);
  const corosim::detail::Prng peeked(42);
  for (std::uint64_t ahead = 1; ahead <= 5; ++ahead) CHECK(peeked.peek(ahead) == drawn.next());
  CHECK(peeked.peek(1) == corosim::detail::Prng(42).next());
}

TEST_CASE("random strategy: in a crowd its guesses at the next picks are those picks", "[prng]") {
  // The simulator prefetches the records of the picks it guesses; a guess
  // that were never right would leave large crowds as slow as before.
  // 4,097 and 5,000: most and many draws redrawn; 2^20: none.
  for (const std::uint64_t crowd :
       {std::uint64_t{4'097}, std::uint64_t{5'000}, std::uint64_t{1} << 20, std::uint64_t{1'000'000}}) {
    corosim::RandomStrategy guessing;
    corosim::RandomStrategy picking;
    guessing.begin_run(9);
    picking.begin_run(9);
    std::uint64_t guesses[64];
    guessing.guess_crowd(crowd, guesses, 64);
    for (const std::uint64_t guess : guesses) CHECK(guess == picking.choose_schedule(crowd));
  }
}

TEST_CASE(
    "random strategy: a crowd's picks are uniform and a smaller queue's draws are the shared generator's",
    "[prng]") {
  constexpr std::uint64_t kCrowd = 5'000;  // 39% of draws redrawn
  corosim::RandomStrategy strategy;
  strategy.begin_run(5);
  std::vector<int> buckets(100, 0);
  for (int i = 0; i < 500'000; ++i) {
    const std::uint64_t pick = strategy.choose_schedule(kCrowd);
    REQUIRE(pick < kCrowd);
    ++buckets[pick / 50];
  }
  // 5,000 expected per bucket, a standard deviation of ~70.
  for (const int count : buckets) {
    CHECK(count > 4'600);
    CHECK(count < 5'400);
  }
  // Below the crowd, seeds keep the runs they always gave.
  corosim::RandomStrategy small;
  small.begin_run(5);
  corosim::detail::Prng shared(5);
  for (const std::uint64_t n : {2u, 3u, 100u, 4'095u}) CHECK(small.choose_schedule(n) == shared.below(n));
}
