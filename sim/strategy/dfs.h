// dfs: exhaustive, bounded enumeration of decision streams (the CHESS / loom
// approach), with delay bounding and iterative bounding. Every decision kind
// is enumerated; what is bounded is deviation from the plainest run (choice 0
// everywhere: fifo order, no pre-emption, data 0, no fault, no injection).
// Running the k-th ready fiber instead of the first, or firing the k-th due
// timer instead of the first armed, costs k (delay bounding: Emmi, Qadeer and
// Rakamaric, POPL 2011); a forced suspension (a pre-emption), a non-zero
// random() value, a late timer, an armed or fired buggify or cancellation site
// cost one each; which mode an injection uses is free.
//
// Pass k runs exactly the streams that cost k, depth first: the first run of
// a subtree takes choice 0 past its root, each later run changes the last
// decision that still has an untried choice within the pass's budget. A
// choice that would cost more is not dropped but queued as the root of a
// subtree for the pass of its cost. So every stream is run once, the cheap
// ones first — a bug one random() value or one pre-emption away is found after
// the deviation-free runs, not after every schedule that follows an early
// decision — and when pass `bound` ends the strategy is exhausted: if no run
// failed, the property holds for every stream within the bound, a proof
// within the bound, not a sample.
//
// One reduction: a step declared to touch nothing another fiber touches
// (Fiber::touch, kTouchNothing) commutes with every step, so dfs neither
// pre-empts the fiber before it nor runs another fiber while one such step is
// ready: those choices would only repeat a schedule it runs anyway (the first
// ready fiber with such a step runs). Undeclared steps are enumerated in full.
//
// Stateful: each run depends on the ones before (the seed is ignored).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "corosim/sim/decision.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class DfsStrategy final : public Strategy {
 public:
  explicit DfsStrategy(std::uint32_t bound = 2) : bound_(bound), roots_(bound + 1) {}

  void begin_run(std::uint64_t seed) override;
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override;
  bool wants_fibers() const noexcept override { return true; }
  bool wants_touches() const noexcept override { return true; }
  std::uint64_t choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) override;
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
    std::uint32_t spent_before;  // deviations earlier in the stream
    bool forced;                 // the only choice the reduction explores here
  };
  // The root of a subtree for a later pass: the run's stream up to `position`,
  // then `value` there.
  struct Root {
    std::shared_ptr<const std::vector<Entry>> stream;
    std::size_t position;
    std::uint64_t value;
  };

  // What taking `value` at a decision of this kind costs against the bound.
  static std::uint32_t cost(DecisionKind kind, std::uint64_t value) noexcept;
  // The decision at position_: the path's, or `first` on new ground (with no
  // other choice explored when forced).
  std::uint64_t take(DecisionKind kind, std::uint64_t n, std::uint64_t first, bool forced);
  // Moves to the next subtree root, of this pass or a later one; false when none is left.
  bool next_root();

  std::uint32_t bound_;
  std::uint32_t pass_ = 0;
  std::vector<Entry> path_;
  std::size_t floor_ = 0;                // path_ below this is the current subtree's fixed prefix
  std::vector<std::deque<Root>> roots_;  // by pass: the subtrees each pass starts from
  std::size_t position_ = 0;
  std::uint32_t spent_ = 0;
  std::uint64_t runs_ = 0;
  bool exhausted_ = false;
};

}  // namespace corosim
