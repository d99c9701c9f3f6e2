// The bug benchmark (scenarios/bugs and the SCTBench set, scenarios/sctbench):
// for every bug and strategy, how many schedules and how much time it takes to
// find the bug, as the median over independent trials (disjoint seed ranges);
// and whether each fixed twin stays clean. The SCTBench set is measured twice,
// with each scheduling point plain and as yield_now (port.h).
// Prints docs/bug-finding.md (`./dev.sh bench-bugs` writes it).
//
//   corosim_bugbench [--only PREFIX] [--strategies a,b] [--trials N] [--style plain|yield]
// narrows a run for development (the table is then partial).
#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "corosim/scenarios/registry.h"
#include "corosim/scenarios/sctbench/port.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/strategy.h"

namespace {

constexpr std::uint64_t kBudget = 10'000;     // schedules per trial
constexpr std::uint64_t kTwinBudget = 2'000;  // schedules a fixed twin must pass

struct Options {
  std::string only;  // a name prefix; empty: every bug
  std::vector<std::string> strategies = {"random", "pct", "pos", "dfs", "portfolio"};
  int trials = 20;
  std::vector<corosim::sctbench::PointStyle> styles = {corosim::sctbench::PointStyle::plain,
                                                       corosim::sctbench::PointStyle::yield};
};

struct Trial {
  std::uint64_t schedules = 0;  // to the first failure; 0: not found in the budget
  double micros = 0;
};

// Trial t runs seeds t * 1,000,003 onwards: ranges that never overlap.
Trial find(const corosim::Scenario& bug, const std::string& strategy_name, int trial) {
  auto strategy = corosim::make_strategy(strategy_name);
  corosim::Simulator simulator(**strategy);
  const auto start = std::chrono::steady_clock::now();
  Trial result;
  for (std::uint64_t i = 0; i < kBudget && !((*strategy)->exhausted() && (*strategy)->stops_when_exhausted());
       ++i) {
    const corosim::RunResult run = simulator.run(bug.body, static_cast<std::uint64_t>(trial) * 1'000'003 + i);
    if (!run.passed() && bug.expect.allows(run.failure->checker)) {
      result.schedules = i + 1;
      break;
    }
  }
  result.micros = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  return result;
}

bool twin_clean(const corosim::Scenario& twin, const std::string& strategy_name) {
  auto strategy = corosim::make_strategy(strategy_name);
  corosim::Simulator simulator(**strategy);
  for (std::uint64_t i = 0;
       i < kTwinBudget && !((*strategy)->exhausted() && (*strategy)->stops_when_exhausted()); ++i) {
    if (!simulator.run(twin.body, i).passed()) return false;
  }
  return true;
}

std::string cell(std::vector<Trial> trials) {
  const int count = static_cast<int>(trials.size());
  std::sort(trials.begin(), trials.end(), [](const Trial& a, const Trial& b) {
    const std::uint64_t x = a.schedules == 0 ? UINT64_MAX : a.schedules;
    const std::uint64_t y = b.schedules == 0 ? UINT64_MAX : b.schedules;
    return x < y;
  });
  const int found = static_cast<int>(
      std::count_if(trials.begin(), trials.end(), [](const Trial& t) { return t.schedules != 0; }));
  const Trial& median = trials[trials.size() / 2];
  if (median.schedules == 0) return absl::StrFormat("not found (%d/%d)", found, count);
  return absl::StrFormat("%d (%.0f µs)%s", median.schedules, median.micros,
                         found < count ? absl::StrFormat(" %d/%d", found, count) : "");
}

// One table: every failing scenario whose name starts with prefix.
void table(const Options& options, const std::string& prefix) {
  const auto& registry = corosim::ScenarioRegistry::global();
  std::printf("| bug | checker |");
  for (const std::string& name : options.strategies) std::printf(" %s |", name.c_str());
  std::printf(" fixed twin |\n| --- | --- |");
  for (std::size_t i = 0; i < options.strategies.size(); ++i) std::printf(" --- |");
  std::printf(" --- |\n");
  for (const corosim::Scenario& bug : registry.all()) {
    if (bug.name.rfind(prefix, 0) != 0 || bug.name.rfind(options.only, 0) != 0) continue;
    if (!bug.expect.expects_failure()) continue;
    std::printf("| `%s` | %s |", bug.name.c_str(), bug.expect.checker_names(" or ").c_str());
    for (const std::string& name : options.strategies) {
      std::vector<Trial> trials;
      for (int trial = 0; trial < options.trials; ++trial) trials.push_back(find(bug, name, trial));
      std::printf(" %s |", cell(std::move(trials)).c_str());
    }
    const corosim::Scenario* twin = registry.find(bug.name + "_fixed");
    if (twin == nullptr) {
      std::printf(" (canary) |\n");
      continue;
    }
    bool clean = true;
    for (const std::string& name : options.strategies) clean = clean && twin_clean(*twin, name);
    std::printf(" %s |\n", clean ? "clean" : "**FAILS**");
    std::fflush(stdout);
  }
}

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--only") {
      options.only = value;
    } else if (flag == "--strategies") {
      options.strategies = absl::StrSplit(value, ',', absl::SkipEmpty());
    } else if (flag == "--trials") {
      options.trials = std::max(1, std::atoi(value.c_str()));
    } else if (flag == "--style" && (value == "plain" || value == "yield")) {
      options.styles = {value == "plain" ? corosim::sctbench::PointStyle::plain
                                         : corosim::sctbench::PointStyle::yield};
    } else {
      std::fprintf(stderr, "corosim_bugbench: bad argument '%s %s'\n", flag.c_str(), value.c_str());
      return false;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "corosim_bugbench: '%s' needs a value\n", argv[argc - 1]);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options)) return 2;
  std::printf("# Bug finding: how fast each strategy finds each bug\n\n");
  std::printf(
      "Generated by `./dev.sh bench-bugs` (Release build; it writes this file). Each cell is the\n"
      "median, over %d trials with disjoint seed ranges, of the schedules run until the bug's\n"
      "checker first fired, with the time that took; \"k/%d\" when only k trials found it within\n"
      "%d schedules. dfs is deterministic (every trial is the same enumeration). The last column\n"
      "says whether every strategy ran the fixed twin %d times (or to exhaustion) without a\n"
      "failure.\n\n",
      options.trials, options.trials, static_cast<int>(kBudget), static_cast<int>(kTwinBudget));
  std::printf("## corosim's own bug scenarios (scenarios/bugs)\n\n");
  table(options, "bugs/");
  std::printf(
      "\ndfs bounds a stream's deviations from the plainest run (pre-emptions, delays past the\n"
      "first ready fiber, non-default data, faults, injections) and runs the cheapest first. At\n"
      "its default bound 2 it cannot find `bugs/three_preemptions` by construction: the bug needs\n"
      "three pre-emptions, and `--strategy dfs:3` finds it (and proves the twin) within about 200\n"
      "schedules. `bugs/slow_apply` needs `random(10)` to return 9: dfs reaches that value after\n"
      "the deviation-free runs, where enumerating the schedules after the `random()` first took\n"
      "2,090.\n"
      "\nThe canary `bugs/canary_never_fails` must pass under every strategy; the CI test\n"
      "`tests/scenarios/bugs_test.cpp` checks that pct finds every bug within 10,000 schedules,\n"
      "that every twin passes, and that dfs proves the small twins.\n");
  for (corosim::sctbench::PointStyle style : options.styles) {
    corosim::sctbench::point_style() = style;
    const bool plain = style == corosim::sctbench::PointStyle::plain;
    std::printf(
        "\n## SCTBench's CS set (scenarios/sctbench), scheduling points %s\n\n"
        "Ported by one rule (scenarios/sctbench/port.h): every access to shared state, spawn,\n"
        "unlock and condition-variable signal is a scheduling point; here each point %s.\n\n",
        plain ? "plain" : "as yield_now",
        plain ? "awaits an operation already complete (only a pre-emption switches there)"
              : "is `co_await corosim::yield_now()` (the fiber always parks)");
    table(options, "sctbench/");
  }
  return 0;
}
