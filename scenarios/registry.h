// Scenarios: named Task<void>() bodies with an expectation, registered at
// static-initialisation time and run by `corosim run`.
//
//   CORO_SCENARIO("deadlock/lock_order", corosim::fails_with(corosim::Checker::deadlock)) {
//     ...
//     co_return;
//   }
//
// Register scenarios in sources compiled into the executable itself (not a
// static library, whose unreferenced objects the linker drops).
#pragma once

#include <concepts>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "corosim/executor/checker.h"
#include "corosim/runtime/check.h"  // CORO_CHECK: what a scenario's body asserts with
#include "corosim/runtime/task.h"
#include "corosim/sim/cancel.h"
#include "corosim/sim/simulator.h"

namespace corosim {

// How a scenario's runs are explored by default; `corosim run --cancel`
// overrides it for every selected scenario.
enum class CancelExploration : std::uint8_t {
  automatic,  // "auto", the default: sweep the first seeds within a budget, then random
  none,       // no injected cancellation
  sweep,      // per seed: a reference run counts N points, then one run per point and mode
  random,     // per seed: one run with random per-site injection
  at,         // per seed: one run cancelling at one point (reproduces a sweep run)
};

const char* cancel_exploration_name(CancelExploration exploration) noexcept;

// What a scenario must do across every run — pass, or fail with one of the
// given checkers — and under which exploration by default:
//
//   corosim::passes()
//   corosim::fails_with(corosim::Checker::check).under_cancel(corosim::CancelExploration::sweep)
//   corosim::fails_with(corosim::Checker::deadlock, corosim::Checker::futurelock)  // either
struct Expectation {
  // Empty: every run passes. Else some run fails, and every failing run fails
  // with one of these.
  std::vector<Checker> checkers;
  CancelExploration cancel = CancelExploration::automatic;
  std::vector<CancelMode> cancel_modes = all_cancel_modes();

  bool expects_failure() const noexcept { return !checkers.empty(); }
  // Whether a run failing with this checker meets the expectation.
  bool allows(Checker checker) const noexcept;
  // "passes", "fails:deadlock", or "fails:deadlock|futurelock"
  std::string str() const;
  // The checkers' names: "deadlock", or "deadlock or futurelock" with " or ".
  std::string checker_names(std::string_view separator) const;

  Expectation under_cancel(CancelExploration exploration,
                           std::vector<CancelMode> modes = all_cancel_modes()) && {
    cancel = exploration;
    cancel_modes = std::move(modes);
    return std::move(*this);
  }
};

inline Expectation passes() { return Expectation{}; }
template <std::same_as<Checker>... More>
Expectation fails_with(Checker first, More... more) {
  Expectation expect;
  expect.checkers = {first, more...};
  return expect;
}

struct Scenario {
  std::string name;
  Expectation expect;
  // Called once per run for the run's main task: a function, or any callable
  // (corosim::explore takes lambdas with captures).
  MainFactory body;
  SourceLoc where;

  // One of the SCTBench ports (scenarios/sctbench): a benchmark set whose
  // deep bugs take thousands of schedules, named rather than part of a plain
  // `corosim run`, and fuzzed only where fuzz/scenarios.txt lists it.
  bool in_benchmark_set() const noexcept { return name.rfind("sctbench/", 0) == 0; }
};

class ScenarioRegistry {
 public:
  static ScenarioRegistry& global();

  bool add(Scenario scenario);
  // Unregisters a scenario added for a while (a test's own); false if unknown.
  bool remove(std::string_view name);
  // Every scenario, sorted by name.
  const std::vector<Scenario>& all() const noexcept { return scenarios_; }
  const Scenario* find(std::string_view name) const noexcept;
  // For an unknown name: " (did you mean 'a' or 'b'?)" naming the closest
  // registered names by edit distance, or " (`corosim list` shows the
  // scenarios)" when none is close.
  std::string suggest(std::string_view unknown) const;

 private:
  std::vector<Scenario> scenarios_;
};

bool register_scenario(const char* name, Expectation expect, Task<void> (*body)(),
                       std::source_location where = std::source_location::current());

}  // namespace corosim

#define COROSIM_CONCAT_INNER(a, b) a##b
#define COROSIM_CONCAT(a, b) COROSIM_CONCAT_INNER(a, b)
#define COROSIM_SCENARIO_IMPL(id, name, expectation)                                                \
  static ::corosim::Task<void> COROSIM_CONCAT(corosim_scenario_body_, id)();                        \
  [[maybe_unused]] static const bool COROSIM_CONCAT(corosim_scenario_registered_, id) =             \
      ::corosim::register_scenario(name, expectation, &COROSIM_CONCAT(corosim_scenario_body_, id)); \
  static ::corosim::Task<void> COROSIM_CONCAT(corosim_scenario_body_, id)()
#define CORO_SCENARIO(name, expectation) COROSIM_SCENARIO_IMPL(__COUNTER__, name, expectation)
