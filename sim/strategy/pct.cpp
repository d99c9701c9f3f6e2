#include "corosim/sim/strategy/pct.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace corosim {

namespace {
constexpr std::uint32_t kNone = 0xffffffffu;
// Priority bands, high to low: initial priorities (above kInitialBase);
// lowered at change points (kChangeBase + depth and under); fibers that
// yielded (below kChangeBase, counting down), so a spinning fiber never
// starves one that can progress.
constexpr std::uint64_t kInitialBase = 1ULL << 62;
constexpr std::uint64_t kChangeBase = 1ULL << 61;
}  // namespace

PctStrategy::PctStrategy(std::uint32_t depth, std::uint64_t expected_steps)
    : depth_(depth == 0 ? 1 : depth), expected_steps_(expected_steps) {}

std::string PctStrategy::describe() const { return absl::StrCat("pct:", depth_); }
std::string PctStrategy::rerun_spec() const { return absl::StrCat("pct:", depth_, ":", run_steps_); }

void PctStrategy::begin_run(std::uint64_t seed) {
  prng_.reseed(seed);
  priorities_.clear();
  change_points_.clear();
  step_ = 0;
  lowered_ = 0;
  last_run_ = kNone;
  next_yielded_ = kChangeBase - 1;
  preempted_ = kNone;
  yield_streak_ = 0;
  run_steps_ = expected_steps_ != 0 ? expected_steps_ : learned_steps_;
  for (std::uint32_t i = 0; i + 1 < depth_; ++i) change_points_.push_back(1 + prng_.below(run_steps_));
  std::sort(change_points_.begin(), change_points_.end());
}

void PctStrategy::end_run(bool, std::uint64_t) { learned_steps_ = std::max(learned_steps_, step_); }

// Initial priorities lie in the top band (so every lowered priority is below
// them); the low bits keep them distinct and deterministic.
std::uint64_t PctStrategy::priority(std::uint32_t fiber) {
  if (fiber >= priorities_.size()) priorities_.resize(fiber + 1, 0);
  if (priorities_[fiber] == 0) priorities_[fiber] = kInitialBase + (prng_.below(1ULL << 40) << 20) + fiber;
  return priorities_[fiber];
}

void PctStrategy::lower(std::uint32_t fiber) {
  if (fiber == kNone) return;
  priority(fiber);
  // The i-th change point gives priority depth - i: below all initial ones.
  priorities_[fiber] = kChangeBase + (depth_ > lowered_ ? depth_ - lowered_ : 0);
}

std::uint64_t PctStrategy::choose(DecisionKind kind, std::uint64_t n) {
  return seeded_choice(prng_, kind, n);
}

std::uint64_t PctStrategy::choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) {
  ++step_;
  const bool change = std::binary_search(change_points_.begin(), change_points_.end(), step_);
  if (change) {
    ++lowered_;
    lower(kind == DecisionKind::yield ? view.running : last_run_);
  }
  // A fiber that just yielded (it ran last and is ready again) keeps its
  // priority: a yield is a scheduling point like any other. Only a fiber that
  // yields kSpinYields times in a row with nobody else running between — a
  // spin-wait that strict priorities would livelock — goes below every fiber
  // that has not; such yielders take turns (the latest is lowest).
  // (A fiber pct itself pre-empted at a yield decision is not a yielder.)
  if (kind == DecisionKind::schedule && last_run_ != kNone && last_run_ != preempted_) {
    for (std::size_t i = 0; i < view.count; ++i) {
      if (view.ready[i] != last_run_ || ++yield_streak_ < kSpinYields) continue;
      priority(last_run_);
      priorities_[last_run_] = next_yielded_--;
      yield_streak_ = 0;
    }
  }
  std::size_t best = 0;
  for (std::size_t i = 1; i < view.count; ++i) {
    if (priority(view.ready[i]) > priority(view.ready[best])) best = i;
  }
  if (kind == DecisionKind::schedule) {
    const std::uint32_t next = view.count > 0 ? view.ready[best] : kNone;
    if (next != last_run_) yield_streak_ = 0;
    last_run_ = next;
    preempted_ = kNone;
    return best < n ? best : 0;
  }
  // yield: pre-empt the running fiber exactly when a ready one outranks it.
  if (view.count == 0 || view.running == kNone) return 0;
  if (priority(view.ready[best]) <= priority(view.running)) return 0;
  preempted_ = view.running;
  return 1;
}

}  // namespace corosim
