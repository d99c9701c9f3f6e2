// Every printed `rerun:` line makes its run again: a mixed failing suite is
// run under flags that shape runs (a step budget, timer jitter, pct, a sweep,
// random injection), and each rerun line it prints is run and must show the
// same failure: seed, checker and location.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "tests/common/capture.h"

using corosim::testing::run_cli;

namespace {

struct Shown {
  std::string failure;  // "seed S, CHECKER at LOCATION"
  std::string rerun;    // the command, from "corosim run"
};

// The failures a run prints, each with the rerun line under it: the shown
// failure ("first failure: seed S, CHECKER at LOCATION") and, when runs
// failed in several ways, each way ("CHECKER at LOCATION: N run(s), first
// seed S").
std::vector<Shown> shown_failures(const std::string& out) {
  std::vector<Shown> shown;
  std::string failure;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const auto group_seed = line.find(", first seed ");
    if (auto at = line.find("failure: seed ");
        at != std::string::npos && line.find("rerun:") == std::string::npos) {
      failure = line.substr(at + std::string("failure: ").size());
    } else if (group_seed != std::string::npos && line.rfind("          ", 0) == 0) {
      // "          check at f.cpp:9: 3 run(s), first seed 4 (unexpected)"
      const std::string where = line.substr(10, line.find(": ", 10) - 10);
      std::string seed = line.substr(group_seed + std::string(", first seed ").size());
      seed = seed.substr(0, seed.find(' '));
      failure = "seed " + seed + ", " + where;
    } else if (auto rerun = line.find("rerun: corosim run "); rerun != std::string::npos) {
      REQUIRE_FALSE(failure.empty());
      shown.push_back(Shown{failure, line.substr(rerun + std::string("rerun: ").size())});
      failure.clear();
    }
  }
  return shown;
}

}  // namespace

TEST_CASE("every printed rerun line reproduces its failure", "[cli][rerun]") {
  const std::vector<std::vector<std::string>> suites = {
      // A step budget that cuts some scenarios short: the rerun must keep it.
      {"run", "race/*", "deadlock/*", "select/*", "timeout/*", "bugs/token_ring", "--seeds", "20",
       "--steps-max", "12"},
      {"run", "bugs/*", "--seeds", "40", "--strategy", "pct:3", "--timer-jitter-ms", "2"},
      {"run", "select/*", "futurelock/*", "leak/*", "drop/*", "asio/*", "--seeds", "6", "--cancel", "sweep"},
      {"run", "cancellers/*", "liveness/*", "--seeds", "10", "--cancel", "random", "--cancel-modes",
       "drop,stop,interrupt"},
  };
  std::size_t reran = 0;
  bool budget_seen = false;
  bool group_seen = false;
  for (std::vector<std::string> suite : suites) {
    suite.push_back("--quiet");
    auto result = run_cli(suite);
    REQUIRE(result.exit_code != 2);
    group_seen = group_seen || result.out.find(" distinct failures:") != std::string::npos;
    for (const Shown& shown : shown_failures(result.out)) {
      INFO("failure: " << shown.failure << "\nrerun: " << shown.rerun);
      std::vector<std::string> args = absl::StrSplit(shown.rerun, ' ', absl::SkipEmpty());
      REQUIRE(args.size() > 2);
      args.erase(args.begin());  // "corosim"
      auto again = run_cli(args);
      INFO(again.out << again.err);
      REQUIRE(again.exit_code != 2);
      CHECK_THAT(again.out, Catch::Contains("failure: " + shown.failure));
      budget_seen = budget_seen || shown.failure.find(", budget at") != std::string::npos;
      ++reran;
    }
  }
  CHECK(reran >= 20);
  CHECK(budget_seen);  // the suite does include runs the step budget shaped
  CHECK(group_seen);   // and a scenario whose runs failed in several ways
}
