// --isolate: each scenario is explored in a child process, so that one whose
// code crashes (a fatal signal, a sanitizer report) is a failure with checker
// `crash` — its seed and rerun line from the child's crash report — and the
// rest of the suite goes on. Internal to cli/.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "corosim/harness/explore.h"
#include "corosim/scenarios/registry.h"
#include "nlohmann/json.hpp"

namespace corosim::cli {

// What the summary needs of one scenario's exploration, in or out of a child.
struct ScenarioOutcome {
  nlohmann::json entry;  // its --json entry
  bool met = false;
  bool interrupted = false;  // stopped by SIGINT/SIGTERM part way
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::string repro;   // of the failure shown, if written
  int usage_exit = 0;  // nonzero: it ended in a usage error, already printed; exit with it
};

// A scenario's --json entry from its report (run_command.cpp's report_json).
using EntryOf = std::function<nlohmann::json(const ScenarioReport& report)>;

// Runs explore() in a forked child whose output goes where the parent's does,
// and returns what it returned. A child that dies instead is printed as a
// failing verdict and described as a crash, its entry made by entry_of.
ScenarioOutcome run_isolated(const Scenario& scenario, const EntryOf& entry_of,
                             const std::function<ScenarioOutcome()>& explore);

}  // namespace corosim::cli
