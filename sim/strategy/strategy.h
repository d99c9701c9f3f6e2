// Strategy: where a run's decisions come from. The simulator asks; the
// strategy answers; the simulator records the answer. One strategy per file:
// fifo, random, pct, dfs, portfolio, replay.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "corosim/executor/prng.h"
#include "corosim/executor/touch.h"
#include "corosim/sim/decision.h"

namespace corosim {

// A step that ran: its fiber and what it touched (Fiber::touch).
struct StepTouch {
  std::uint32_t fiber = 0;
  std::uint32_t touch = 0;
};

// What a strategy that schedules by fiber (pct) sees at a schedule or yield
// decision: the ready fibers' ids in run-queue index order (the decision's
// value is an index into it) and the fiber running now (kNoFiber between
// steps).
// A strategy that reorders only dependent steps (pos) also sees what the
// steps touch: each ready fiber's next step, the running fiber's next step at
// a yield decision, and the steps that ran since the previous decision.
struct FiberView {
  const std::uint32_t* ready = nullptr;
  std::size_t count = 0;
  std::uint32_t running = 0xffffffffu;
  const std::uint32_t* touches = nullptr;  // parallel to ready (null unless wants_touches)
  std::uint32_t running_touch = 0;
  bool running_calls = false;           // its await only calls a Task: mid-step, not a step's end
  const StepTouch* executed = nullptr;  // oldest first
  std::size_t executed_count = 0;

  // The first ready fiber (an index below n) whose next step touches nothing
  // shared, or count when none does.
  std::size_t first_touching_nothing(std::uint64_t n) const noexcept {
    for (std::size_t i = 0; touches != nullptr && i < count && i < n; ++i) {
      if (touches[i] == kTouchNothing) return i;
    }
    return count;
  }
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // Called before every run, with the run's seed.
  virtual void begin_run(std::uint64_t seed) = 0;
  // A value in [0, n), n >= 2.
  virtual std::uint64_t choose(DecisionKind kind, std::uint64_t n) = 0;
  // The name and parameters, as written on the command line ("random").
  virtual std::string describe() const = 0;
  // A strategy that cannot go on (a replay that left its recording) says so;
  // the simulator then fails the run with the replay-diverged checker.
  virtual bool halted() const noexcept { return false; }
  // Whether halted() can ever be true: the simulator asks halted() after
  // each decision only of a strategy that may halt (a virtual call saved per
  // decision for every other).
  virtual bool may_halt() const noexcept { return false; }
  virtual std::string halt_message() const { return {}; }

  // Strategies that choose by fiber identity say so; the simulator then calls
  // choose_fiber (for schedule and yield decisions) with the ready fibers.
  virtual bool wants_fibers() const noexcept { return false; }
  virtual std::uint64_t choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) {
    (void)view;
    return choose(kind, n);
  }
  // And wants FiberView's touches (the simulator then keeps them).
  virtual bool wants_touches() const noexcept { return false; }
  // Called after every run with how it went (dfs backtracks here).
  virtual void end_run(bool failed, std::uint64_t steps) {
    (void)failed;
    (void)steps;
  }
  // A strategy whose runs depend on the runs before it (dfs) rather than on
  // the seed alone: its runs cannot be re-made by rerunning a seed.
  virtual bool stateful() const noexcept { return false; }
  // An enumerating strategy that has tried every schedule within its bound.
  virtual bool exhausted() const noexcept { return false; }
  // "within deviation bound 2 (...)", for an exhaustion report.
  virtual std::string bound_description() const { return {}; }
  // Whether exploring stops once exhausted() (dfs), or goes on with other
  // means to the end of its budget (portfolio, whose random and pct members
  // still look past the bound).
  virtual bool stops_when_exhausted() const noexcept { return true; }
  // How many of the runs the exhaustive enumeration was (0: all of them).
  virtual std::uint64_t enumerated_runs() const noexcept { return 0; }

  // Whether describe() and a seed make the same run whatever ran before:
  // false for strategies that learn across runs (pct's step count) or
  // enumerate (dfs), whose runs are remade by rerun_spec() or a replay.
  virtual bool seed_pure() const noexcept { return !stateful(); }
  // A --strategy value that, with its seed, makes the last begun run again
  // ("pct:3:412": pct with the step count that run used); empty when none
  // does (a dfs run depends on the runs before it: replay its decisions).
  virtual std::string rerun_spec() const { return stateful() ? std::string() : describe(); }
  // The strategy that made the last begun run: a portfolio's member ("pct:3").
  virtual std::string run_maker() const { return describe(); }
};

// The seeded choice every strategy makes for data (random) and for random
// cancellation injection: a site is armed with probability 1/2 per run, an
// armed site fires with probability 1/8 per visit (FoundationDB's BUGGIFY
// shape), modes are uniform.
// Inline: the random strategy asks it on every schedule decision.
inline std::uint64_t seeded_choice(detail::Prng& prng, DecisionKind kind, std::uint64_t n) {
  switch (kind) {
    case DecisionKind::cancel_arm: return prng.chance(1, 2) ? 1 : 0;
    case DecisionKind::cancel_fire: return prng.chance(1, 8) ? 1 : 0;
    case DecisionKind::buggify_arm: return prng.chance(1, 2) ? 1 : 0;
    case DecisionKind::buggify_fire: return prng.chance(1, 4) ? 1 : 0;
    default: return prng.below(n);
  }
}

// The strategies `corosim run --strategy` accepts.
std::vector<std::string_view> strategy_names();
absl::StatusOr<std::unique_ptr<Strategy>> make_strategy(std::string_view name);

}  // namespace corosim
