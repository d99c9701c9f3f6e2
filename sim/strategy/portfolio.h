// portfolio: several strategies in turn under one budget — run i goes to
// random, pct (depth 3), pos and dfs (bound 2) in rotation, so shallow bugs
// fall to random, deep ordering bugs to pct and pos, and small programs are
// enumerated by dfs. Once dfs is exhausted it drops out and pos takes its
// turns, to the end of the budget (a bug past dfs's bound is still the
// samplers' to find);
// dfs's exhaustion is reported with the count of its own runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "corosim/sim/strategy/dfs.h"
#include "corosim/sim/strategy/pct.h"
#include "corosim/sim/strategy/pos.h"
#include "corosim/sim/strategy/random.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class PortfolioStrategy final : public Strategy {
 public:
  PortfolioStrategy();

  void begin_run(std::uint64_t seed) override;
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override { return current_->choose(kind, n); }
  bool wants_fibers() const noexcept override { return true; }
  bool wants_touches() const noexcept override { return current_->wants_touches(); }
  std::uint64_t choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) override {
    return current_->choose_fiber(kind, n, view);
  }
  void end_run(bool failed, std::uint64_t steps) override { current_->end_run(failed, steps); }
  std::string describe() const override { return "portfolio"; }
  bool stateful() const noexcept override { return true; }
  bool exhausted() const noexcept override { return dfs_.exhausted(); }
  std::string bound_description() const override { return dfs_.bound_description(); }
  bool stops_when_exhausted() const noexcept override { return false; }
  std::uint64_t enumerated_runs() const noexcept override { return dfs_.runs(); }
  std::string rerun_spec() const override { return current_->rerun_spec(); }
  std::string run_maker() const override { return current_->describe(); }

 private:
  RandomStrategy random_;
  PctStrategy pct_;
  PosStrategy pos_;
  DfsStrategy dfs_;
  Strategy* current_ = &random_;
  std::uint64_t runs_ = 0;
};

}  // namespace corosim
