// Schedule coverage: the interleaving a run took, as counters a
// coverage-guided fuzzer reads (libFuzzer's extra counters, fuzz/target.h).
//
// Code coverage alone cannot tell two schedules of the same code apart, so a
// fuzzer guided by it keeps no input for reaching a new interleaving. These
// counters can: each context switch counts the pair (where the fiber that
// stopped was suspended, where the fiber that runs next resumes), and each
// injected cancellation its site and action. A site is a source line, so
// identical fibers share features and the counters stay few; how often a
// pair occurs in one run (libFuzzer buckets the counts) tells "the checker
// ran between a setter's two writes once" from "... twice".
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "corosim/sim/trace.h"

namespace corosim {

class ScheduleCoverage {
 public:
  // Counters a libFuzzer target owns; 16 KiB keeps the pairs of a few hundred
  // sites apart while libFuzzer's scan of them per run stays cheap.
  static constexpr std::size_t kCounters = 1 << 14;

  // Clears counters, then counts the features of trace's run into them
  // (saturating at 255). Deterministic: sites are hashed by base name and
  // line, never by address.
  void count(const Trace& trace, std::span<std::uint8_t> counters);

 private:
  std::vector<std::uint64_t> site_of_fiber_;  // reused from run to run
};

}  // namespace corosim
