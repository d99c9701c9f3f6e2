// executor/prng.h: a seed names a run on every compiler and library, so the
// generator's stream is pinned here; its draws must also be uniform and
// neighbouring seeds (runs 0, 1, 2, ...) unrelated.
#include <catch2/catch.hpp>
#include <algorithm>
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

TEST_CASE("prng: a position looked ahead from gives the draws to come and draws nothing", "[prng]") {
  corosim::detail::Prng drawn(42);
  const corosim::detail::Prng looked(42);
  std::uint64_t position = looked.position();
  for (int i = 0; i < 5; ++i) {
    position = corosim::detail::Prng::after(position);
    CHECK(corosim::detail::Prng::value_at(position) == drawn.next());
    CHECK(drawn.position() == position);
  }
  CHECK(looked.position() == corosim::detail::Prng(42).position());
}

TEST_CASE("random strategy: in a crowd its guesses at the next picks are those picks", "[prng]") {
  // The simulator prefetches the records of the picks it guesses; a guess
  // that were never right would leave large crowds as slow as before.
  // 4,097 and 5,000: most and many draws redrawn; 2^20: none.
  for (const std::uint64_t crowd :
       {std::uint64_t{4'097}, std::uint64_t{5'000}, std::uint64_t{1} << 20, std::uint64_t{1'000'000}}) {
    CAPTURE(crowd);
    corosim::RandomStrategy strategy;
    strategy.begin_run(9);
    corosim::CrowdGuesses guesses;
    // Guessed once and then kept, a batch at a time, as the simulator asks
    // every kBatch picks: every pick of 100 batches is the one guessed, and
    // each batch's guesses are what the one before saw further ahead.
    std::vector<std::uint64_t> seen;
    int batches_kept = 0;
    for (int batch = 0; batch < 100; ++batch) {
      guesses.update(strategy, crowd);
      std::vector<std::uint64_t> now;
      for (int k = 1; k <= corosim::CrowdGuesses::kAhead; ++k) now.push_back(guesses.ahead(k));
      CHECK(guesses.kept() == (batch > 0));
      if (!seen.empty()) {
        batches_kept +=
            std::equal(seen.begin() + corosim::CrowdGuesses::kBatch, seen.end(), now.begin()) ? 1 : 0;
      }
      seen = now;
      for (int k = 1; k <= corosim::CrowdGuesses::kBatch; ++k)
        REQUIRE(strategy.choose_schedule(crowd) == now[k - 1]);
    }
    CHECK(batches_kept == 99);
  }
}

TEST_CASE("random strategy: crowd guesses start afresh when the picks were not those guessed", "[prng]") {
  // A queue shrinking by one a pick (fibers parking) turns a few guesses
  // wrong, and a new run or a power of two crossed turns all of them: each
  // is noticed at the next update, and the guesses after it are right again.
  corosim::RandomStrategy strategy;
  corosim::CrowdGuesses guesses;
  int right = 0;
  int picks = 0;
  int kept = 0;
  for (const std::uint64_t seed : {std::uint64_t{3}, std::uint64_t{4}}) {
    strategy.begin_run(seed);
    std::uint64_t n = 8'400;  // down across 8,192
    for (int batch = 0; batch < 40; ++batch) {
      guesses.update(strategy, n);
      if (batch == 0) CHECK_FALSE(guesses.kept());  // a new run
      kept += guesses.kept() ? 1 : 0;
      std::uint64_t guessed[corosim::CrowdGuesses::kBatch];
      for (int k = 1; k <= corosim::CrowdGuesses::kBatch; ++k) guessed[k - 1] = guesses.ahead(k);
      for (const std::uint64_t guess : guessed) {
        right += strategy.choose_schedule(n) == guess ? 1 : 0;
        ++picks;
        --n;
      }
    }
  }
  CHECK(picks == 1'280);
  CHECK(right >= 1'200);
  // Most updates keep what they saw; the power of two crossed and the
  // guesses a shrinking queue turned wrong start afresh.
  CHECK(kept >= 60);
  CHECK(kept < 78);
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
