// Replaying a repro, and turning a run into one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "corosim/replay/repro.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/replay.h"
#include "corosim/sim/trace.h"

namespace corosim {

// The repro of one run of the named scenario, explored with strategy and options.
Repro make_repro(const std::string& scenario, const std::string& strategy, const SimOptions& options,
                 const RunResult& run);

// The options a repro's run ran with (its version decides which decisions
// it asked).
SimOptions options_for(const Repro& repro);

// "checker|file:line" of a failed run, for signatures; "" for a pass.
std::string failure_key(const RunResult& run);
// The same of the run a repro recorded.
std::string failure_key(const Repro& repro);

// A recorded run made again for its trace: its decisions replayed leniently
// (never diverging), under the options and seed it ran with.
struct Rerun {
  RunResult run;
  Trace trace;
};
Rerun rerun_decisions(const MainFactory& body, const SimOptions& options, std::uint64_t seed,
                      const DecisionStream& decisions);

struct ReplayOutcome {
  RunResult run;
  Trace trace;
  // The run left the recording (halt mode: it stopped there; continue mode:
  // a fallback strategy took over); the text shows both sides.
  std::optional<std::string> divergence;
  bool hash_matches = false;       // the trace hash equals the recorded one
  bool signature_matches = false;  // same outcome: same checker and location, or both passed
};

struct ReplayOptions {
  ReplayStrategy::Mode mode = ReplayStrategy::Mode::halt;
  std::string continue_with;  // a strategy name, for Mode::continue_with
};

// Replays the repro on body (its scenario's). Fails only on a bad
// continue_with strategy name.
absl::StatusOr<ReplayOutcome> replay_repro(const Repro& repro, const MainFactory& body,
                                           const ReplayOptions& options = {});

}  // namespace corosim
