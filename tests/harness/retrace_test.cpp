// The lazy trace: explored runs record only their decisions; a failure is
// re-made with its trace on, and that trace is the one eager tracing records.
#include "corosim/harness/retrace.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "corosim/harness/explore.h"
#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"
#include "corosim/sim/strategy/random.h"
#include "corosim/sim/strategy/replay.h"

using corosim::ExploreOptions;
using corosim::RunResult;
using corosim::Scenario;
using corosim::ScenarioReport;
using corosim::Trace;

namespace {

ExploreOptions options_for(const Scenario& scenario, bool lazy) {
  ExploreOptions options;
  options.cancel = scenario.expect.cancel;
  options.cancel_modes = scenario.expect.cancel_modes;
  // The SCTBench ports' bugs take hundreds of schedules.
  options.seed_count = scenario.in_benchmark_set() ? 600 : 100;
  options.determinism_check_every = 0;  // only the first run traced
  options.lazy_trace = lazy;
  return options;
}

std::unique_ptr<corosim::Strategy> strategy_of(const RunResult& run) {
  if (run.rerun_strategy.empty()) {
    return std::make_unique<corosim::ReplayStrategy>(run.decisions, corosim::ReplayStrategy::Mode::halt);
  }
  return corosim::make_strategy(run.rerun_strategy).value();
}

// The run remade from its seed, as its rerun line does, traced or not.
RunResult remake(const Scenario& scenario, const RunResult& run, bool traced, Trace* trace) {
  std::unique_ptr<corosim::Strategy> strategy = strategy_of(run);
  corosim::SimOptions options;
  options.cancel = run.cancel_plan;
  options.record_trace = traced;
  corosim::Simulator simulator(*strategy, options);
  RunResult made = simulator.run(scenario.body, run.seed);
  if (trace != nullptr) *trace = simulator.trace();
  return made;
}

void same_failure(const RunResult& a, const RunResult& b) {
  REQUIRE(a.failure.has_value() == b.failure.has_value());
  if (!a.failure) return;
  CHECK(a.failure->checker == b.failure->checker);
  CHECK(a.failure->message == b.failure->message);
  CHECK(a.failure->location.str() == b.failure->location.str());
  CHECK(a.failure->step == b.failure->step);
  CHECK(a.failure->event == b.failure->event);
}

void same_trace(const Trace& eager, const Trace& rebuilt) {
  CHECK(eager.hash() == rebuilt.hash());
  CHECK(eager.events_seen() == rebuilt.events_seen());
  REQUIRE(eager.events().size() == rebuilt.events().size());
  for (std::size_t i = 0; i < eager.events().size(); ++i) {
    const corosim::TraceEvent& a = eager.events()[i];
    const corosim::TraceEvent& b = rebuilt.events()[i];
    INFO("event " << i << ": " << corosim::trace_kind_name(a.kind) << " of fiber " << a.fiber);
    REQUIRE(a.kind == b.kind);
    REQUIRE(a.fiber == b.fiber);
    REQUIRE(a.arg == b.arg);
    REQUIRE(a.value == b.value);
    REQUIRE(a.time_ns == b.time_ns);
    REQUIRE(a.location == b.location);
    if (a.location == corosim::kNoLocation) continue;
    REQUIRE(eager.location(a.location).where.str() == rebuilt.location(b.location).where.str());
    REQUIRE(std::string(eager.location(a.location).what) == rebuilt.location(b.location).what);
  }
}

void same_report(const ScenarioReport& lazy, const ScenarioReport& eager) {
  CHECK(lazy.runs == eager.runs);
  CHECK(lazy.failures == eager.failures);
  CHECK(lazy.met == eager.met);
  CHECK(lazy.trace_hash == eager.trace_hash);
  REQUIRE(lazy.failure_groups.size() == eager.failure_groups.size());
  for (std::size_t i = 0; i < lazy.failure_groups.size(); ++i) {
    const RunResult& a = lazy.failure_groups[i].first;
    const RunResult& b = eager.failure_groups[i].first;
    INFO("failure group " << i << ": " << lazy.failure_groups[i].location);
    CHECK(lazy.failure_groups[i].runs == eager.failure_groups[i].runs);
    CHECK(a.seed == b.seed);
    CHECK(a.decisions == b.decisions);
    CHECK(a.trace_hash == b.trace_hash);
    CHECK(a.trace_hash != 0);
    same_failure(a, b);
  }
}

// Fails on every other run: its failures do not survive being made again.
int flaky_calls = 0;
// Two children, so that the run makes a schedule decision (a lone child would
// leave none: a join that parks asks no yield decision).
corosim::Task<void> fails_every_other_run() {
  auto a = corosim::spawn([]() -> corosim::Task<void> { co_await corosim::yield_now(); });
  auto b = corosim::spawn([]() -> corosim::Task<void> { co_await corosim::yield_now(); });
  co_await a;
  co_await b;
  CORO_CHECK_MSG(++flaky_calls % 2 == 1, "an even-numbered call");
}

corosim::Task<void> two_yielders() {
  auto a = corosim::spawn([]() -> corosim::Task<void> { co_await corosim::yield_now(); });
  auto b = corosim::spawn([]() -> corosim::Task<void> { co_await corosim::yield_now(); });
  co_await a;
  co_await b;
}

}  // namespace

TEST_CASE("the lazily rebuilt trace of a failing run equals the eager trace event for event",
          "[explore][retrace]") {
  std::size_t checked = 0;
  for (const Scenario& scenario : corosim::ScenarioRegistry::global().all()) {
    if (!scenario.expect.expects_failure()) continue;
    INFO("scenario " << scenario.name);
    const ScenarioReport lazy = corosim::explore_scenario(scenario, options_for(scenario, true)).value();
    const ScenarioReport eager = corosim::explore_scenario(scenario, options_for(scenario, false)).value();
    same_report(lazy, eager);
    if (!lazy.first_failure) {
      // Only a benchmark port may need more schedules than it was given here.
      CHECK(scenario.in_benchmark_set());
      continue;
    }
    // The first failure made from its seed with the trace on, and without it
    // then rebuilt from its decisions: the same run, the same trace.
    const RunResult& failed = *lazy.first_failure;
    Trace eager_trace;
    const RunResult traced = remake(scenario, failed, true, &eager_trace);
    const RunResult untraced = remake(scenario, failed, false, nullptr);
    CHECK(untraced.trace_hash == 0);
    CHECK(untraced.decisions == traced.decisions);
    CHECK(untraced.events == traced.events);
    CHECK(untraced.steps == traced.steps);
    same_failure(untraced, traced);
    Trace rebuilt;
    const corosim::Retraced again =
        corosim::retrace(scenario.body, corosim::SimOptions{}, untraced, &rebuilt);
    CHECK(again.difference.empty());
    CHECK(again.run.trace_hash == failed.trace_hash);
    same_trace(eager_trace, rebuilt);
    ++checked;
  }
  // Every bundled failing scenario but a few benchmark ports.
  CHECK(checked >= 60);
}

TEST_CASE("a failure its traced re-run does not repeat is reported as nondeterminism", "[explore][retrace]") {
  Scenario scenario{
      "test/fails_every_other_run", corosim::fails_with(corosim::Checker::check), &fails_every_other_run, {}};
  ExploreOptions options;
  options.seed_count = 4;
  options.cancel = corosim::CancelExploration::none;
  options.determinism_check_every = 0;
  flaky_calls = 0;
  const ScenarioReport lazy = corosim::explore_scenario(scenario, options).value();
  REQUIRE(lazy.first_unexpected.has_value());
  const corosim::Failure& failure = *lazy.first_unexpected->failure;
  CHECK(failure.checker == corosim::Checker::nondeterminism);
  CHECK_THAT(failure.message, Catch::Contains("its traced re-run"));
  CHECK_THAT(failure.message, Catch::Contains("the run failed: check at"));
  CHECK_THAT(failure.message, Catch::Contains("its re-run passed"));
  CHECK(std::string(failure.location.base_name()) == "retrace_test.cpp");
  CHECK_FALSE(lazy.met);

  // Traced eagerly, with no determinism check, nothing makes a run twice.
  options.lazy_trace = false;
  flaky_calls = 0;
  const ScenarioReport eager = corosim::explore_scenario(scenario, options).value();
  CHECK_FALSE(eager.first_unexpected.has_value());
  CHECK(eager.met);
}

TEST_CASE("an explorer traces its first run and the runs it checks for determinism and no others",
          "[explore][retrace]") {
  Scenario scenario{"test/two_yielders", corosim::passes(), &two_yielders, {}};
  ExploreOptions options;
  options.seed_count = 100;
  options.cancel = corosim::CancelExploration::none;
  options.determinism_check_every = 16;
  std::uint64_t traced = 0;
  std::uint64_t runs = 0;
  options.on_run_start = [&](std::uint64_t, const corosim::SimOptions& sim, const corosim::DecisionLog&) {
    ++runs;
    if (sim.record_trace) ++traced;
    // The runs it replays are the ones whose decisions it keeps.
    CHECK(sim.decisions_of_passing_runs == sim.record_trace);
  };
  const ScenarioReport report = corosim::explore_scenario(scenario, options).value();
  CHECK(report.met);
  CHECK(runs == 100);
  CHECK(traced == 7);  // runs 0, 16, ..., 96
  CHECK(report.determinism_checks == 7);
  CHECK(report.trace_hash != 0);

  options.lazy_trace = false;
  traced = 0;
  runs = 0;
  CHECK(corosim::explore_scenario(scenario, options).value().met);
  CHECK(traced == runs);
}

TEST_CASE(
    "a passing run leaves its decisions in the simulator unless asked for them and a failing run never does",
    "[explore][retrace]") {
  corosim::SimOptions options;
  options.decisions_of_passing_runs = false;
  corosim::RandomStrategy strategy;
  corosim::Simulator simulator(strategy, options);
  const RunResult passing = simulator.run(two_yielders, 1);
  REQUIRE(passing.passed());
  CHECK(passing.decisions.empty());
  CHECK(simulator.decisions_so_far().size() > 0);
  flaky_calls = 1;  // the next call fails
  const RunResult failing = simulator.run(fails_every_other_run, 1);
  REQUIRE_FALSE(failing.passed());
  CHECK(failing.decisions.size() == simulator.decisions_so_far().size());
  CHECK_FALSE(failing.decisions.empty());
}
