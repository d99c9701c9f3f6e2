// `run --regressions DIR`: replays a corpus of repros and judges each entry
// against what it recorded and what its scenario expects. Internal to cli/.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "corosim/scenarios/registry.h"

namespace corosim::cli {

// How today's replay compares with the recorded run.
enum class RegressionVerdict : std::uint8_t {
  fixed,        // the recorded failure no longer happens: the run passes
  reproduced,   // the same outcome: same checker at the same location (or both passed)
  new_failure,  // it fails, but not the way it was recorded
  stale,        // the code no longer makes the recorded run (divergence): re-record or delete it
};

const char* regression_verdict_name(RegressionVerdict verdict) noexcept;

// "checker at file:line", or "passed".
struct Signature {
  std::string checker;  // "" for a pass
  std::string location;
  std::string str() const;
};

struct RegressionEntry {
  std::string file;  // the repro's file name
  std::string scenario;
  RegressionVerdict verdict = RegressionVerdict::stale;
  // Whether the entry meets its scenario's expectation: a scenario expected to
  // pass must stay fixed; one expected to fail must reproduce its recording.
  // A stale entry is never met; it is counted apart (exit 3 when it is all).
  bool met = false;
  Signature recorded;
  Signature now;  // for a stale entry, the outcome of a lenient replay
  bool trace_hash_matches = false;
  std::optional<std::string> divergence;
};

struct RegressionReport {
  std::string folder;
  std::vector<RegressionEntry> entries;
  std::size_t not_met() const noexcept;  // stale entries excluded
  std::size_t stale() const noexcept;
};

// Replays every *.repro in folder whose scenario is among selected (sorted by
// file name) and prints a line each and a total. An error for an unreadable
// folder, a malformed repro or an unknown scenario.
absl::StatusOr<RegressionReport> replay_regressions(const std::string& folder,
                                                    const std::vector<const Scenario*>& selected);

// The "regressions" object of the --json summary (and of merge's).
nlohmann::json regressions_json(const RegressionReport& report);

}  // namespace corosim::cli
