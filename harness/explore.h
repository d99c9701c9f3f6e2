// Exploring a scenario: run it once per seed under a strategy — and, with
// injected cancellation, once per cancellation point and mode — and judge the
// runs against its expectation.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "corosim/scenarios/registry.h"
#include "corosim/sim/cancel.h"
#include "corosim/sim/simulator.h"

namespace corosim {

// CancelExploration::automatic over seeds [first, first + count): the first
// `seeds` seeds are swept, each over its first `points` cancellation points
// (one run per point; per point and mode where the canceller is declared),
// and every other seed is one run with random injection. The sweep costs
// about one run per seed explored (seeds * points ~ count, at least 16 points
// a seed), and depends only on the whole range, so shards sweep the same
// seeds as one unsharded run.
struct AutoSweep {
  std::uint64_t below = 0;  // seeds below this value are swept
  std::uint64_t points = 0;
};
AutoSweep auto_sweep(std::uint64_t first_seed, std::uint64_t seed_count);

struct ExploreOptions {
  std::string strategy = "pos";
  std::uint64_t first_seed = 0;
  std::uint64_t seed_count = 100;
  // Seeds run: first_seed + i * seed_stride for i < seed_count. A shard I/N of
  // a sweep runs every Nth seed (--shard).
  std::uint64_t seed_stride = 1;
  SimOptions sim;
  CancelExploration cancel = CancelExploration::automatic;
  std::vector<CancelMode> cancel_modes = all_cancel_modes();
  std::uint64_t cancel_at = 0;
  // Under automatic: which seeds are swept (unset: from first_seed and
  // seed_count; a shard sets the whole range's).
  std::optional<AutoSweep> auto_sweep;
  // Every Nth run is run twice and the two traces compared event by event
  // (0: never, 1: every run). A difference is a "nondeterminism" failure: the
  // code under test read something the simulator does not control.
  std::uint64_t determinism_check_every = 16;
  // The lazy trace (harness/retrace.h): runs record only their decisions; a
  // failure of a new signature is re-run with its trace on, and compared with
  // the run. Off: every run records its trace (as a replay does).
  bool lazy_trace = true;
  // Called after every run (progress display); may be empty.
  std::function<void(std::uint64_t runs_done)> on_run;
  // Before each run, with its seed, options and the decision stream it will
  // record into (a crash report names the run in flight and writes its repro).
  std::function<void(std::uint64_t seed, const SimOptions& sim, const DecisionLog& decisions)> on_run_start;
  // Asked between runs (an interrupt): true ends the exploration there, with
  // the report of the runs done marked interrupted.
  std::function<bool()> stop_requested;
  // Called for every failing run with the options it ran under (--out writes
  // repros); may be empty.
  std::function<void(const RunResult& run, const SimOptions& sim)> on_failure;
};

// The runs that failed one way: a checker at a location.
struct FailureGroup {
  Checker checker = Checker::check;
  std::string location;  // file:line
  std::uint64_t runs = 0;
  RunResult first;  // the first run that failed this way
};

struct ScenarioReport {
  const Scenario* scenario = nullptr;
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  std::uint64_t cancel_points = 0;  // runs that injected a cancellation
  // The distinct suspension points (file:line, sorted) at which an injected
  // cancellation landed, over every run.
  std::set<std::string> injected_sites;
  std::uint64_t determinism_checks = 0;  // runs replayed to compare their traces
  // The cancellation points of the first seed's reference run, by site
  // (file:line, in order of first appearance) and how many points each holds.
  std::vector<std::pair<std::string, std::uint64_t>> cancel_sites;
  std::optional<RunResult> first_failure;     // the lowest failing seed (and point)
  std::optional<RunResult> first_unexpected;  // the first failure the expectation does not allow
  std::uint64_t trace_hash = 0;               // of the first failure, else of the first run
  // An enumerating strategy (dfs) tried every schedule within its bound:
  // with no failure, the property holds for all `runs` of them.
  bool exhausted = false;
  // "within deviation bound 2 (...)" for a strategy that enumerates schedules
  // within a bound (dfs, portfolio's dfs), else empty. Not exhausted, such a
  // report stopped on its run budget.
  std::string bound;
  // The strategy as it describes itself ("pct:3", "portfolio"): a failure
  // whose made_by differs was found by a portfolio's member.
  std::string strategy;
  // When the enumeration was only some of the runs (portfolio's dfs member):
  // how many. 0: all of them.
  std::uint64_t enumerated_runs = 0;
  // Exploration `at` (a --cancel-at rerun): the runs whose point lay beyond
  // their cancellation points (or starts, for prestart), so nothing was
  // injected, and the most points any run had.
  std::uint64_t cancel_at_missed = 0;
  std::uint64_t cancel_at_most_points = 0;
  bool interrupted = false;  // stop_requested ended it early
  // Every distinct way the runs failed, in order of first appearance (at most
  // kFailureGroupsMax; later ones are counted in failures only).
  static constexpr std::size_t kFailureGroupsMax = 64;
  std::vector<FailureGroup> failure_groups;
  bool met = false;

  // The failure a report shows: the first the expectation does not allow,
  // else the first; null when every run passed.
  const RunResult* shown_failure() const noexcept {
    if (first_unexpected) return &*first_unexpected;
    return first_failure ? &*first_failure : nullptr;
  }
  // "passed" when no run failed, else "failed".
  const char* outcome() const noexcept { return failures == 0 ? "passed" : "failed"; }
};

// An error, and no run, for an unknown strategy name (see make_strategy).
absl::StatusOr<ScenarioReport> explore_scenario(const Scenario& scenario, const ExploreOptions& options);

}  // namespace corosim
