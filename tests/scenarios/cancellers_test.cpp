// The cancellers and liveness twins (docs/cancellation.md): every fixed twin
// passes and every buggy twin fails with its checker, with no flags and under
// every strategy with every way of exploring cancellation — injection never
// fails a correct program, and only the program's own cancellers (or declared
// ones) find the bugs.
#include <catch2/catch.hpp>
#include <string>

#include "tests/common/capture.h"

using corosim::testing::run_cli;

TEST_CASE("cancellers twins: fixed pass and buggy fail under every strategy and cancellation",
          "[cancel][bugs]") {
  auto check = [](std::vector<std::string> args) {
    std::vector<std::string> command = {"run", "cancellers/*", "liveness/*", "--quiet"};
    command.insert(command.end(), args.begin(), args.end());
    auto result = run_cli(command);
    INFO(result.out);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("24 scenario(s): 24 met their expectation, 0 did not"));
  };
  // Seeds kept small enough for the sanitizer build; measured at 2000 seeds
  // each in docs/cancellation.md.
  check({"--seeds", "300"});  // no flags: cancellation explored by default
  for (const char* strategy : {"random", "pct", "dfs", "portfolio", "fifo"}) {
    for (const char* cancel : {"sweep", "random"}) {
      INFO(strategy << " with --cancel " << cancel);
      // A sweep covers every point of each seed; dfs reaches a random
      // injection through two deviations (arm, fire), so later than the samplers.
      const bool sweep = std::string(cancel) == "sweep";
      const bool deep = std::string(strategy) == "dfs" && !sweep;
      check({"--strategy", strategy, "--cancel", cancel, "--seeds", sweep ? "30" : deep ? "600" : "200"});
    }
  }
}

TEST_CASE(
    "a race combinator whose loser ignores the stop request fails with cancel-liveness, naming the wait",
    "[cancel][liveness]") {
  auto result =
      run_cli({"run", "liveness/ignored_stop_event", "liveness/ignored_stop_timer", "--seeds", "20"});
  INFO(result.out);
  CHECK(result.exit_code == 0);
  // The event that never comes.
  CHECK_THAT(result.out, Catch::Contains("cancel-liveness at scenarios/bundled/liveness.cpp:"));
  CHECK_THAT(result.out, Catch::Contains("in event.wait on event#"));
  CHECK_THAT(result.out, Catch::Contains("nothing will ever wake it"));
  // The one-hour timer: reported at the bound, with the timer named.
  CHECK_THAT(result.out, Catch::Contains("in sleep"));
  CHECK_THAT(result.out, Catch::Contains("its timer is due at t=1 h"));
  CHECK_THAT(result.out, Catch::Contains("has not finished within 10 s"));
}
