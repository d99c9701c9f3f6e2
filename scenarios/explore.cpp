#include "scenarios/explore.h"

#include <cassert>

namespace corosim {

ScenarioReport explore_scenario(const Scenario& scenario, const ExploreOptions& options) {
  auto strategy = make_strategy(options.strategy);
  assert(strategy.ok());
  Simulator simulator(**strategy, options.sim);
  const MainFactory main = scenario.body;

  ScenarioReport report;
  report.scenario = &scenario;
  for (std::uint64_t i = 0; i < options.seed_count; ++i) {
    RunResult result = simulator.run(main, options.first_seed + i);
    ++report.runs;
    if (report.runs == 1) report.trace_hash = result.trace_hash;
    if (!result.passed()) {
      ++report.failures;
      const bool allowed = result.failure->checker == scenario.expect.checker;
      if (!allowed && !report.first_unexpected) report.first_unexpected = result;
      if (!report.first_failure) {
        report.trace_hash = result.trace_hash;
        report.first_failure = std::move(result);
      }
    }
    if (options.on_run) options.on_run(report.runs);
  }
  report.met = !report.first_unexpected &&
               (scenario.expect.expects_failure() ? report.failures > 0 : report.failures == 0);
  return report;
}

}  // namespace corosim
