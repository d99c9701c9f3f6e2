// Every printed `rerun:` and `replay:` line makes its run again: a mixed
// failing suite is run under flags that shape runs (a step budget, timer
// jitter, pct, portfolio, dfs, a sweep, random injection), and each line it
// prints is run and must show the same failure: seed, checker and location
// (a replay: checker and location, and the recording's outcome).
#include <catch2/catch.hpp>
#include <filesystem>
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
      // "seed 49 (found by pct:3), check at ...": a portfolio names its member.
      if (auto by = failure.find(" (found by "); by != std::string::npos) {
        failure.erase(by, failure.find("),", by) + 1 - by);
      }
    } else if (group_seed != std::string::npos && line.rfind("          ", 0) == 0) {
      // "          check at f.cpp:9: 3 run(s), first seed 4 (unexpected)"
      const std::string where = line.substr(10, line.find(": ", 10) - 10);
      std::string seed = line.substr(group_seed + std::string(", first seed ").size());
      seed = seed.substr(0, seed.find(' '));
      failure = "seed " + seed + ", " + where;
    } else if (auto rerun = line.find("rerun: corosim "); rerun != std::string::npos) {
      REQUIRE_FALSE(failure.empty());
      shown.push_back(Shown{failure, line.substr(rerun + std::string("rerun: ").size())});
    } else if (auto replay = line.find("replay: corosim replay "); replay != std::string::npos) {
      REQUIRE_FALSE(failure.empty());
      shown.push_back(Shown{failure, line.substr(replay + std::string("replay: ").size())});
    }
  }
  return shown;
}

}  // namespace

TEST_CASE("every printed rerun line reproduces its failure", "[cli][rerun]") {
  const std::string repros = corosim::testing::fresh_folder("rerun_repros");
  const std::vector<std::vector<std::string>> suites = {
      // pct learns its step count from earlier runs: reorder_10's first
      // failure comes after runs longer than the 64 steps it starts from, so
      // `--strategy pct --seed S` alone would be another run.
      {"run", "sctbench/reorder_10", "--strategy", "pct", "--seeds", "3000"},
      // A portfolio's member and its step count; dfs runs are replayed.
      {"run", "sctbench/reorder_5", "sctbench/twostage", "bugs/lost_update", "--strategy", "portfolio",
       "--seeds", "600", "--out", repros},
      {"run", "bugs/lost_update", "bugs/lock_order", "--strategy", "dfs", "--seeds", "600", "--out", repros},
      // Without --out, a dfs run's repro goes to a temporary folder of the invocation's own.
      {"run", "bugs/lost_update", "--strategy", "dfs", "--seeds", "600"},
      // A step budget that cuts some scenarios short: the rerun must keep it.
      {"run", "race/*", "deadlock/*", "select/*", "timeout/*", "bugs/token_ring", "--seeds", "20",
       "--steps-max", "12"},
      {"run", "bugs/*", "--seeds", "40", "--strategy", "pct:3", "--timer-jitter-ms", "2"},
      // A time budget that cuts an hour of heartbeats short: the rerun line
      // keeps it, and so does a repro file (its time-max-ns line).
      {"run", "asio/heartbeats", "asio/disconnect_fixed", "--seeds", "3", "--time-max-s", "1"},
      {"run", "asio/heartbeats", "--strategy", "dfs", "--seeds", "3", "--time-max-s", "1", "--out", repros},
      {"run", "select/*", "futurelock/*", "leak/*", "drop/*", "asio/*", "--seeds", "6", "--cancel", "sweep"},
      {"run", "cancellers/*", "liveness/*", "--seeds", "10", "--cancel", "random", "--cancel-modes",
       "drop,stop,interrupt"},
  };
  std::size_t reran = 0;
  bool budget_seen = false;
  bool time_budget_seen = false;
  bool group_seen = false;
  bool replayed_seen = false;
  bool learned_seen = false;
  bool own_folder_seen = false;
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
      if (args.front() == "replay") {
        // "seed S, CHECKER at LOCATION": the replay names no seed.
        const std::string what = shown.failure.substr(shown.failure.find(", ") + 2);
        CHECK_THAT(again.out, Catch::Contains("outcome: failed: " + what));
        CHECK_THAT(again.out, Catch::Contains("(same outcome)"));
        replayed_seen = true;
        // A folder of its own under $TMPDIR: named so, and removed here.
        const std::filesystem::path file = args.back();
        if (file.parent_path().filename().string().rfind("corosim-repros-", 0) == 0) {
          own_folder_seen = true;
          std::filesystem::remove_all(file.parent_path());
        }
      } else {
        CHECK_THAT(again.out, Catch::Contains("failure: " + shown.failure));
        learned_seen = learned_seen || shown.rerun.find("--strategy pct:3:") != std::string::npos;
      }
      budget_seen = budget_seen || shown.failure.find(", budget at") != std::string::npos;
      time_budget_seen =
          time_budget_seen ||
          (shown.failure.find(", budget at") != std::string::npos &&
           (shown.rerun.find("--time-max-s 1 ") != std::string::npos || args.front() == "replay"));
      ++reran;
    }
  }
  CHECK(reran >= 20);
  CHECK(budget_seen);       // the suite does include runs the step budget shaped
  CHECK(time_budget_seen);  // and runs the time budget shaped
  CHECK(group_seen);        // and a scenario whose runs failed in several ways
  CHECK(replayed_seen);     // dfs runs, made again by their repros
  CHECK(learned_seen);      // pct runs, made again with the step count they used
  CHECK(own_folder_seen);   // a dfs run's repro written without --out
  std::filesystem::remove_all(repros);
}
