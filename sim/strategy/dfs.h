// dfs: exhaustive, bounded enumeration of decision streams, depth first (the
// CHESS / loom approach). The first run takes choice 0 everywhere; each later
// run changes the last decision that still has an untried choice and takes 0
// after it. A forced suspension (a yield decision of 1) is a pre-emption;
// streams with more than `preemption_bound` of them are not tried. When every
// stream within the bound has been run, the strategy is exhausted: if none
// failed, the property holds for all of them — a proof within the bound, not
// a sample. Schedule choices at blocking points, timer ties, data and
// injected-cancellation decisions are enumerated in full.
//
// Stateful: each run depends on the ones before (the seed is ignored).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corosim/sim/decision.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class DfsStrategy final : public Strategy {
 public:
  explicit DfsStrategy(std::uint32_t preemption_bound = 2) : bound_(preemption_bound) {}

  void begin_run(std::uint64_t seed) override;
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override;
  void end_run(bool failed, std::uint64_t steps) override;
  std::string describe() const override;
  bool stateful() const noexcept override { return true; }
  bool exhausted() const noexcept override { return exhausted_; }
  std::string bound_description() const override;

  std::uint64_t runs() const noexcept { return runs_; }

 private:
  struct Entry {
    DecisionKind kind;
    std::uint64_t n;
    std::uint64_t value;
    std::uint32_t preemptions_before;
  };

  std::uint32_t bound_;
  std::vector<Entry> path_;
  std::size_t position_ = 0;
  std::uint32_t preemptions_ = 0;
  std::uint64_t runs_ = 0;
  bool exhausted_ = false;
};

}  // namespace corosim
