// pct: Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte, ASPLOS 2010). Every fiber gets a random priority when first
// seen (all above depth); the highest-priority ready fiber always runs, and at
// a forced-suspension decision the running fiber is pre-empted exactly when a
// ready fiber outranks it. depth - 1 change points, drawn uniformly over the
// k scheduling steps expected, each lower the priority of the fiber running at
// that step below every initial priority. A bug of depth d among n fibers and
// k steps is found with probability at least 1/(n * k^(d-1)) per run.
//
// A yield is a scheduling point like any other: the yielder keeps its
// priority. One that yields kSpinYields times in a row with no other fiber
// running between (a spin-wait loop, which strict priorities would livelock)
// drops below every other fiber; such yielders take turns. (Dropping every
// yielder at once, as this strategy first did, turned pct into round-robin
// for programs whose scheduling points are all yield_now: it found none of
// SCTBench's deeper bugs that way.)
//
// k: given ("pct:DEPTH:STEPS"), or learned — the most scheduling steps any
// earlier run took (64 before the first run ends). A learned k makes a run
// depend on the runs before it, so rerun_spec() names the k the run used: a
// rerun line with it and the seed makes the same run. Other decisions
// (timers, data, injected cancellation) are drawn from the seed as random
// draws them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corosim/executor/prng.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class PctStrategy final : public Strategy {
 public:
  static constexpr std::uint32_t kSpinYields = 32;

  explicit PctStrategy(std::uint32_t depth = 3, std::uint64_t expected_steps = 0);

  void begin_run(std::uint64_t seed) override;
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override;
  bool wants_fibers() const noexcept override { return true; }
  std::uint64_t choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) override;
  void end_run(bool failed, std::uint64_t steps) override;
  std::string describe() const override;
  bool seed_pure() const noexcept override { return expected_steps_ != 0; }
  std::string rerun_spec() const override;

 private:
  std::uint64_t priority(std::uint32_t fiber);
  void lower(std::uint32_t fiber);

  std::uint32_t depth_;
  std::uint64_t expected_steps_;
  std::uint64_t learned_steps_ = 64;
  std::uint64_t run_steps_ = 64;  // the k the last begun run drew its change points over
  detail::Prng prng_;
  std::vector<std::uint64_t> priorities_;  // by fiber id; 0: not seen yet
  std::vector<std::uint64_t> change_points_;
  std::uint64_t step_ = 0;
  std::uint64_t lowered_ = 0;  // change points passed
  std::uint32_t last_run_ = 0xffffffffu;
  std::uint64_t next_yielded_ = 0;
  std::uint32_t preempted_ = 0xffffffffu;  // the fiber pct parked at its last yield decision
  std::uint32_t yield_streak_ = 0;         // yields in a row of the fiber that ran last
};

}  // namespace corosim
