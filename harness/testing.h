// Exploring a scenario from a test framework: corosim::explore() runs it as
// `corosim run` would and returns a result that says, when the expectation is
// not met, what failed, each fiber's last events, and where the repro was
// written. harness/catch2.h and harness/gtest.h turn it into an assertion.
//
//   auto result = corosim::explore("bank/transfer", transfer_body);
//   REQUIRE_THAT(result, corosim::Passes());          // Catch2
//   EXPECT_TRUE(corosim::gtest::Passes(result));      // GoogleTest
#pragma once

#include <string>

#include "absl/status/status.h"
#include "corosim/harness/explore.h"
#include "corosim/scenarios/registry.h"

namespace corosim {

struct Exploration {
  std::string scenario;
  // Not ok when nothing could be explored (an unknown strategy name): then
  // no run was made and explanation says why.
  absl::Status status;
  ScenarioReport report;
  // Empty when the expectation was met; else the failure, its trace tail,
  // the repro path and how to replay it.
  std::string explanation;
  std::string repro_path;  // of the failure shown, if one was written

  bool met() const noexcept { return status.ok() && report.met; }
};

// Explores body as a scenario named name with this expectation. A failure
// that breaks the expectation is written as a repro into $COROSIM_OUT, or
// else the temporary directory's corosim-repros/.
Exploration explore(const std::string& name, Task<void> (*body)(), Expectation expect = passes(),
                    ExploreOptions options = {});
// A registered scenario, under its own expectation and cancellation.
Exploration explore(const Scenario& scenario, ExploreOptions options = {});

}  // namespace corosim
