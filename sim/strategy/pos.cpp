#include "corosim/sim/strategy/pos.h"

#include "corosim/executor/fiber.h"

namespace corosim {

void PosStrategy::begin_run(std::uint64_t seed) {
  prng_.reseed(seed);
  priorities_.clear();
  eager_run_ = 0;
}

std::uint64_t PosStrategy::choose(DecisionKind kind, std::uint64_t n) {
  return seeded_choice(prng_, kind, n);
}

// Drawn when first asked, in decision order: deterministic for a seed. The
// low bit set keeps a drawn priority nonzero.
std::uint64_t PosStrategy::priority(std::uint32_t fiber) {
  if (fiber >= priorities_.size()) priorities_.resize(fiber + 1, 0);
  if (priorities_[fiber] == 0) priorities_[fiber] = prng_.next() | 1;
  return priorities_[fiber];
}

void PosStrategy::redraw(std::uint32_t fiber) {
  if (fiber < priorities_.size()) priorities_[fiber] = 0;
}

// The steps that ran since the last decision: their fibers' next steps are
// new, and pending steps that race with them are ranked afresh.
void PosStrategy::steps_ran(const FiberView& view) {
  for (std::size_t e = 0; e < view.executed_count; ++e) {
    const StepTouch& step = view.executed[e];
    redraw(step.fiber);
    if (step.touch == kTouchNothing || view.touches == nullptr) continue;
    for (std::size_t i = 0; i < view.count; ++i) {
      if (view.ready[i] != step.fiber && touches_conflict(step.touch, view.touches[i])) redraw(view.ready[i]);
    }
  }
}

std::uint64_t PosStrategy::choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) {
  steps_ran(view);
  // A step that touches nothing shared commutes with every other: running it
  // now loses no ordering, and a fiber that only spawns others runs ahead of
  // them. (Bounded, so fibers that loop over such steps cannot starve the rest.)
  // An await that only calls a Task is mid-step: never a pre-emption.
  if (kind == DecisionKind::yield && view.running_calls) return 0;
  if (eager_run_ < kMaxEagerRun) {
    if (kind == DecisionKind::yield && view.running_touch == kTouchNothing) {
      ++eager_run_;
      return 0;
    }
    if (const std::size_t local = view.first_touching_nothing(n);
        kind == DecisionKind::schedule && local < view.count) {
      ++eager_run_;
      return local;
    }
  }
  eager_run_ = 0;
  std::size_t best = 0;
  for (std::size_t i = 1; i < view.count; ++i) {
    if (priority(view.ready[i]) > priority(view.ready[best])) best = i;
  }
  if (kind == DecisionKind::schedule) return best < n ? best : 0;
  // yield: the running fiber's next step against the best ready one.
  if (view.count == 0 || view.running == kNoFiber) return 0;
  return priority(view.ready[best]) > priority(view.running) ? 1 : 0;
}

}  // namespace corosim
