#include "scenarios/explore.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace corosim {

namespace {

class Explorer {
 public:
  Explorer(const Scenario& scenario, const ExploreOptions& options, Strategy& strategy)
      : options_(options), simulator_(strategy, options.sim), main_(scenario.body) {
    report_.scenario = &scenario;
  }

  ScenarioReport explore() {
    for (std::uint64_t i = 0; i < options_.seed_count; ++i) explore_seed(options_.first_seed + i);
    const Expectation& expect = report_.scenario->expect;
    report_.met = !report_.first_unexpected &&
                  (expect.expects_failure() ? report_.failures > 0 : report_.failures == 0);
    return std::move(report_);
  }

 private:
  void explore_seed(std::uint64_t seed) {
    switch (options_.cancel) {
      case CancelExploration::none:
        run(seed, CancelPlan{});
        return;
      case CancelExploration::random:
        run(seed, CancelPlan::random(options_.cancel_modes));
        return;
      case CancelExploration::at:
        assert(options_.cancel_modes.size() == 1);
        run(seed, CancelPlan::at(options_.cancel_at, options_.cancel_modes.front()));
        return;
      case CancelExploration::sweep: {
        const bool first = seed == options_.first_seed;
        const RunResult reference = run(seed, CancelPlan{}, first);
        if (first) record_sites(reference);
        for (CancelMode mode : options_.cancel_modes) {
          // prestart targets the fibers that start; every other mode, the points.
          const std::uint64_t targets =
              mode == CancelMode::prestart ? reference.cancel_starts : reference.cancel_points;
          for (std::uint64_t target = 0; target < targets; ++target) {
            run(seed, CancelPlan::at(target, mode));
          }
        }
        return;
      }
    }
  }

  RunResult run(std::uint64_t seed, CancelPlan plan, bool record_sites = false) {
    SimOptions sim = options_.sim;
    sim.cancel = std::move(plan);
    sim.record_cancel_sites = record_sites;
    simulator_.set_options(sim);
    RunResult result = simulator_.run(main_, seed);
    ++report_.runs;
    if (!result.injections.empty()) ++report_.cancel_points;
    if (report_.runs == 1) report_.trace_hash = result.trace_hash;
    if (!result.passed()) record_failure(result);
    if (options_.on_run) options_.on_run(report_.runs);
    return result;
  }

  void record_sites(const RunResult& reference) {
    for (const SourceLoc& site : reference.cancel_sites) {
      const std::string where = site.str();
      auto known = std::find_if(report_.cancel_sites.begin(), report_.cancel_sites.end(),
                                [&](const auto& entry) { return entry.first == where; });
      if (known == report_.cancel_sites.end()) {
        report_.cancel_sites.emplace_back(where, 1);
      } else {
        ++known->second;
      }
    }
  }

  void record_failure(const RunResult& result) {
    ++report_.failures;
    const bool allowed = result.failure->checker == report_.scenario->expect.checker;
    if (!allowed && !report_.first_unexpected) report_.first_unexpected = result;
    if (!report_.first_failure) {
      report_.trace_hash = result.trace_hash;
      report_.first_failure = result;
    }
  }

  const ExploreOptions& options_;
  Simulator simulator_;
  MainFactory main_;
  ScenarioReport report_;
};

}  // namespace

ScenarioReport explore_scenario(const Scenario& scenario, const ExploreOptions& options) {
  auto strategy = make_strategy(options.strategy);
  assert(strategy.ok());
  return Explorer(scenario, options, **strategy).explore();
}

}  // namespace corosim
