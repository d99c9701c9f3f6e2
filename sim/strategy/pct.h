// pct: Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte, ASPLOS 2010). Every fiber gets a random priority when first
// seen (all above depth); the highest-priority ready fiber always runs, and at
// a forced-suspension decision the running fiber is pre-empted exactly when a
// ready fiber outranks it. depth - 1 change points, drawn uniformly over the
// k scheduling steps expected, each lower the priority of the fiber running at
// that step below every initial priority. A bug of depth d among n fibers and
// k steps is found with probability at least 1/(n * k^(d-1)) per run.
//
// A fiber that yields and is ready again at the next choice drops below every
// other fiber (strict priorities would livelock a spin-wait loop); yielders
// take turns.
//
// k: given, or learned — the most scheduling steps any earlier run took
// (64 before the first run ends). Other decisions (timers, data, injected
// cancellation) are drawn from the seed as random draws them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corosim/executor/prng.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class PctStrategy final : public Strategy {
 public:
  explicit PctStrategy(std::uint32_t depth = 3, std::uint64_t expected_steps = 0);

  void begin_run(std::uint64_t seed) override;
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override;
  bool wants_fibers() const noexcept override { return true; }
  std::uint64_t choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) override;
  void end_run(bool failed, std::uint64_t steps) override;
  std::string describe() const override;

 private:
  std::uint64_t priority(std::uint32_t fiber);
  void lower(std::uint32_t fiber);

  std::uint32_t depth_;
  std::uint64_t expected_steps_;
  std::uint64_t learned_steps_ = 64;
  detail::Prng prng_;
  std::vector<std::uint64_t> priorities_;  // by fiber id; 0: not seen yet
  std::vector<std::uint64_t> change_points_;
  std::uint64_t step_ = 0;
  std::uint64_t lowered_ = 0;  // change points passed
  std::uint32_t last_run_ = 0xffffffffu;
  std::uint64_t next_yielded_ = 0;
  std::uint32_t preempted_ = 0xffffffffu;  // the fiber pct parked at its last yield decision
};

}  // namespace corosim
