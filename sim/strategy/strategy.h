// Strategy: where a run's decisions come from. The simulator asks; the
// strategy answers; the simulator records the answer. Three calls, one
// strategy per file; later strategies (pct, dfs, replay, fuzz) plug in here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/detail/prng.h"
#include "sim/decision.h"

namespace corosim {

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
  virtual std::string halt_message() const { return {}; }
};

// The seeded choice every strategy makes for data (random) and for random
// cancellation injection: a site is armed with probability 1/2 per run, an
// armed site fires with probability 1/8 per visit (FoundationDB's BUGGIFY
// shape), modes are uniform.
std::uint64_t seeded_choice(detail::Prng& prng, DecisionKind kind, std::uint64_t n);

// The strategies `corosim run --strategy` accepts.
std::vector<std::string_view> strategy_names();
absl::StatusOr<std::unique_ptr<Strategy>> make_strategy(std::string_view name);

}  // namespace corosim
