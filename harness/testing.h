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
  // The command that replays that repro in this same binary (every test in
  // it; harness/catch2.h and harness/gtest.h print one for this test alone).
  std::string replay_command;
  // This was a replay of $COROSIM_REPLAY, not an exploration: report.runs is 1.
  bool replayed = false;

  bool met() const noexcept { return status.ok() && report.met; }
};

// Explores body as a scenario named name with this expectation. body is
// called once per run for the run's main task: a function, or any callable —
// a lambda may capture the test's state, which then must be made afresh by
// each call (state one run leaves behind makes the next differ: the
// determinism check reports it). A failure that breaks the expectation is
// written as a repro into $COROSIM_OUT, or else the temporary directory's
// corosim-repros/.
//
// With COROSIM_REPLAY=FILE in the environment, an explore() whose scenario
// name is the one FILE records replays FILE instead of exploring (what
// `corosim replay FILE` does, in the binary that holds the lambda): the
// result fails while the replayed run fails unexpectedly, with its trace.
Exploration explore(const std::string& name, MainFactory body, Expectation expect = passes(),
                    ExploreOptions options = {});
// A registered scenario, under its own expectation and cancellation.
Exploration explore(const Scenario& scenario, ExploreOptions options = {});

// COROSIM_REPLAY=<repro> <this binary>, quoted for a POSIX shell; then
// `filter`, already quoted, if not empty.
std::string replay_command_line(const std::string& repro_path, const std::string& filter = "");
// text in single quotes for a POSIX shell.
std::string shell_quote(const std::string& text);

}  // namespace corosim
