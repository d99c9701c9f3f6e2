#include "corosim/harness/explore.h"

#include <algorithm>
#include <cassert>
#include <memory>
#include <string>

#include "corosim/harness/retrace.h"
#include "corosim/sim/strategy/replay.h"

namespace corosim {

namespace {

class Explorer {
 public:
  Explorer(const Scenario& scenario, const ExploreOptions& options, Strategy& strategy)
      : options_(options), strategy_(strategy), simulator_(strategy, options.sim), main_(scenario.body) {
    report_.scenario = &scenario;
  }

  ScenarioReport explore() {
    for (std::uint64_t i = 0; i < options_.seed_count && !stop_requested(); ++i) {
      if (strategy_.exhausted() && strategy_.stops_when_exhausted()) break;
      explore_seed(options_.first_seed + i * options_.seed_stride);
    }
    report_.exhausted = strategy_.exhausted();
    report_.bound = strategy_.bound_description();
    report_.strategy = strategy_.describe();
    if (report_.exhausted) {
      report_.enumerated_runs = strategy_.enumerated_runs();
    }
    const Expectation& expect = report_.scenario->expect;
    report_.met = !report_.first_unexpected &&
                  (expect.expects_failure() ? report_.failures > 0 : report_.failures == 0);
    return std::move(report_);
  }

 private:
  bool stop_requested() {
    if (!report_.interrupted && options_.stop_requested && options_.stop_requested())
      report_.interrupted = true;
    return report_.interrupted;
  }

  void explore_seed(std::uint64_t seed) {
    switch (options_.cancel) {
      case CancelExploration::none: run(seed, CancelPlan{}); return;
      case CancelExploration::random: run(seed, CancelPlan::random(options_.cancel_modes)); return;
      case CancelExploration::at: {
        assert(options_.cancel_modes.size() == 1);
        const CancelMode mode = options_.cancel_modes.front();
        const RunResult result = run(seed, CancelPlan::at(options_.cancel_at, mode));
        const std::uint64_t points =
            mode == CancelMode::prestart ? result.cancel_starts : result.cancel_points;
        report_.cancel_at_most_points = std::max(report_.cancel_at_most_points, points);
        if (options_.cancel_at >= points) ++report_.cancel_at_missed;
        return;
      }
      case CancelExploration::sweep: sweep_seed(seed, ~std::uint64_t{0}); return;
      case CancelExploration::automatic: {
        const AutoSweep plan =
            options_.auto_sweep.value_or(auto_sweep(options_.first_seed, options_.seed_count));
        if (seed < plan.below) {
          sweep_seed(seed, plan.points);
        } else {
          run(seed, CancelPlan::random(options_.cancel_modes));
        }
        return;
      }
    }
  }

  // A reference run counts the points; then one run per point — per point
  // and mode where the canceller is declared (external); once where it is
  // the program's own, whose mechanism decides how it cancels.
  // points: the first this many of the seed's points (external ones once per mode).
  void sweep_seed(std::uint64_t seed, std::uint64_t points) {
    const bool first = seed == options_.first_seed;
    const RunResult reference = run(seed, CancelPlan{}, first, true);
    if (first) record_sites(reference);
    const std::string member_spec = strategy_.stateful() ? strategy_.rerun_spec() : std::string();
    bool program_points_done = false;
    for (CancelMode mode : options_.cancel_modes) {
      // prestart targets the external fibers that start; every other mode, the points.
      const bool prestart = mode == CancelMode::prestart;
      const std::uint64_t targets = prestart ? reference.cancel_starts : reference.cancel_points;
      for (std::uint64_t target = 0; target < targets; ++target) {
        const bool external = prestart || reference.external_points[target];
        if (!external && program_points_done) continue;
        if (target >= points || stop_requested()) break;
        if (strategy_.stateful() && !member_spec.empty()) {
          // A portfolio's random or pct run: its member makes the point's
          // run from the seed, as a rerun line will.
          run_member(seed, CancelPlan::at(target, mode), member_spec);
        } else if (strategy_.stateful()) {
          // Rerunning the seed would advance the strategy: follow the
          // reference run's decisions instead (plainest choices past them).
          run_following(seed, CancelPlan::at(target, mode), reference.decisions);
        } else {
          run(seed, CancelPlan::at(target, mode));
        }
      }
      if (!prestart) program_points_done = true;
    }
  }

  RunResult run(std::uint64_t seed, CancelPlan plan, bool record_sites = false, bool record_kinds = false) {
    SimOptions sim = options_.sim;
    sim.cancel = std::move(plan);
    sim.record_cancel_sites = record_sites;
    sim.record_cancel_kinds = record_kinds;
    sim.record_trace = trace_due();
    // A reference run's decisions are followed by its points' runs; a traced
    // run's are replayed by the determinism check.
    sim.decisions_of_passing_runs = sim.record_trace || record_kinds;
    simulator_.set_options(sim);
    if (options_.on_run_start) options_.on_run_start(seed, sim, simulator_.decisions_so_far());
    RunResult result = simulator_.run(main_, seed);
    return judge(seed, std::move(result), sim, simulator_.trace(), &strategy_);
  }

  // No seed makes such a run again: its rerun is the replay of its repro.
  RunResult run_following(std::uint64_t seed, CancelPlan plan, const DecisionStream& decisions) {
    ReplayStrategy follow(decisions, ReplayStrategy::Mode::lenient);
    return run_with(follow, seed, std::move(plan), nullptr);
  }

  RunResult run_member(std::uint64_t seed, CancelPlan plan, const std::string& spec) {
    if (!member_ || member_spec_ != spec) {
      member_ = make_strategy(spec).value();  // a spec the strategy itself wrote
      member_spec_ = spec;
    }
    return run_with(*member_, seed, std::move(plan), member_.get());
  }

  // remaker: the strategy whose rerun_spec() makes the run again from its
  // seed, or null when none does.
  RunResult run_with(Strategy& strategy, std::uint64_t seed, CancelPlan plan, const Strategy* remaker) {
    SimOptions sim = options_.sim;
    sim.cancel = std::move(plan);
    sim.record_trace = trace_due();
    sim.decisions_of_passing_runs = sim.record_trace;
    Simulator simulator(strategy, sim);
    if (options_.on_run_start) options_.on_run_start(seed, sim, simulator.decisions_so_far());
    RunResult result = simulator.run(main_, seed);
    return judge(seed, std::move(result), sim, simulator.trace(), remaker);
  }

  RunResult judge(std::uint64_t seed, RunResult result, const SimOptions& sim, const Trace& trace,
                  const Strategy* remaker) {
    if (determinism_check_due()) check_determinism(seed, result, sim, trace);
    // A failure of a new signature is kept and shown: it gets its trace
    // (later ones of a known signature are only counted).
    if (!result.passed() && !sim.record_trace && !known_failure(result)) retrace_failure(result, sim);
    ++report_.runs;
    if (result.cancelled()) {
      ++report_.cancel_points;
      for (const CancelInjection& injection : result.injections) {
        if (injection.landed) report_.injected_sites.insert(injection.where.str());
      }
    }
    if (report_.runs == 1) report_.trace_hash = result.trace_hash;
    if (!result.passed()) {
      result.made_by = strategy_.run_maker();
      if (remaker != nullptr) result.rerun_strategy = remaker->rerun_spec();
      record_failure(result);
      if (options_.on_failure) options_.on_failure(result, sim);
    }
    if (options_.on_run) options_.on_run(report_.runs);
    return result;
  }

  bool determinism_check_due() const {
    const std::uint64_t every = options_.determinism_check_every;
    return every != 0 && report_.runs % every == 0;
  }

  // Whether the next run records its trace: every run when tracing is eager;
  // else the first (whose hash the report shows) and those a determinism
  // check compares event by event.
  bool trace_due() const { return !options_.lazy_trace || report_.runs == 0 || determinism_check_due(); }

  bool known_failure(const RunResult& result) { return group_of(*result.failure) != nullptr; }

  // The group of failures this one belongs to (its checker at its location), if any yet.
  FailureGroup* group_of(const Failure& failure) {
    const std::string location = failure.location.str();
    for (FailureGroup& group : report_.failure_groups) {
      if (group.checker == failure.checker && group.location == location) return &group;
    }
    return nullptr;
  }

  // The lazy trace (harness/retrace.h): the failing run made again from its
  // decisions with the trace on; if the two differ, the run is a
  // nondeterminism failure instead.
  void retrace_failure(RunResult& result, const SimOptions& sim) {
    const Retraced again = retrace(main_, sim, result);
    result.trace_hash = again.run.trace_hash;
    if (again.difference.empty()) return;
    result.failure = nondeterminism_failure(
        "the same seed and decisions gave two different runs (the run, then its traced re-run); " +
            again.difference,
        result.failure->location);
  }

  // Replays the run's own decisions and compares the traces; on a
  // difference, turns result into a nondeterminism failure naming the first
  // diverging event on both sides. (A replay, not a rerun of the seed, so it
  // holds for strategies whose runs depend on earlier ones.)
  void check_determinism(std::uint64_t seed, RunResult& result, const SimOptions& sim,
                         const Trace& first_trace) {
    ++report_.determinism_checks;
    const std::vector<TraceEvent>& first = first_trace.events();
    ReplayStrategy replay(result.decisions, ReplayStrategy::Mode::lenient);
    Simulator again_simulator(replay, sim);
    const RunResult again = again_simulator.run(main_, seed);
    if (again.trace_hash == result.trace_hash) return;
    const Trace& second_trace = again_simulator.trace();
    const std::vector<TraceEvent>& second = second_trace.events();
    std::size_t at = 0;
    while (at < first.size() && at < second.size() && same_event(first[at], second[at])) ++at;
    SourceLoc where;
    if (const TraceLocation* near = nearest_location(first_trace, at)) {
      where = near->where;
    } else if (const TraceLocation* other = nearest_location(second_trace, at)) {
      where = other->where;
    }
    result.failure = nondeterminism_failure(
        "the same seed and decisions gave two different runs (trace hashes " + hash_hex(result.trace_hash) +
            " and " + hash_hex(again.trace_hash) + "); first difference at event " + std::to_string(at) +
            ":\n  first run:  " + describe_event(first_trace, at) +
            "\n  second run: " + describe_event(second_trace, at),
        where);
  }

  static bool same_event(const TraceEvent& a, const TraceEvent& b) {
    return a.kind == b.kind && a.fiber == b.fiber && a.arg == b.arg && a.value == b.value &&
           a.time_ns == b.time_ns && a.location == b.location;
  }

  // The location of event `at`, or of its fiber's last located event before
  // it: where that fiber stood when the runs parted.
  static const TraceLocation* nearest_location(const Trace& trace, std::size_t at) {
    const std::vector<TraceEvent>& events = trace.events();
    if (at >= events.size()) return nullptr;
    for (std::size_t i = at + 1; i-- > 0;) {
      if (events[i].fiber == events[at].fiber && events[i].location != kNoLocation) {
        return &trace.location(events[i].location);
      }
    }
    return nullptr;
  }

  static std::string describe_event(const Trace& trace, std::size_t at) {
    const std::vector<TraceEvent>& events = trace.events();
    if (at >= events.size()) return "(the run had ended)";
    const TraceEvent& event = events[at];
    std::string text = std::string(trace_kind_name(event.kind)) + " of fiber " +
                       (event.fiber == kNoFiber ? std::string("-") : std::to_string(event.fiber)) +
                       " at t=" + std::to_string(event.time_ns) + "ns";
    if (event.location != kNoLocation) {
      text += " (" + trace.location(event.location).where.str() + ")";
    } else if (const TraceLocation* near = nearest_location(trace, at)) {
      text += " (the fiber was last at " + near->where.str() + ")";
    }
    return text;
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
    group_failure(result);
    const bool allowed = report_.scenario->expect.allows(result.failure->checker);
    if (!allowed && !report_.first_unexpected) report_.first_unexpected = result;
    if (!report_.first_failure) {
      report_.trace_hash = result.trace_hash;
      report_.first_failure = result;
    }
  }

  void group_failure(const RunResult& result) {
    if (FailureGroup* group = group_of(*result.failure)) {
      ++group->runs;
      return;
    }
    if (report_.failure_groups.size() >= ScenarioReport::kFailureGroupsMax) return;
    report_.failure_groups.push_back(
        FailureGroup{result.failure->checker, result.failure->location.str(), 1, result});
  }

  const ExploreOptions& options_;
  Strategy& strategy_;
  Simulator simulator_;
  MainFactory main_;
  ScenarioReport report_;
  std::unique_ptr<Strategy> member_;  // a portfolio member's strategy, for its sweep points
  std::string member_spec_;
};

}  // namespace

AutoSweep auto_sweep(std::uint64_t first_seed, std::uint64_t seed_count) {
  constexpr std::uint64_t kSweptSeeds = 10;
  constexpr std::uint64_t kMinPoints = 16;
  const std::uint64_t seeds = std::min(seed_count, kSweptSeeds);
  if (seeds == 0) return AutoSweep{first_seed, 0};
  return AutoSweep{first_seed + seeds, std::max(seed_count / seeds, kMinPoints)};
}

absl::StatusOr<ScenarioReport> explore_scenario(const Scenario& scenario, const ExploreOptions& options) {
  auto strategy = make_strategy(options.strategy);
  if (!strategy.ok()) return strategy.status();
  return Explorer(scenario, options, **strategy).explore();
}

}  // namespace corosim
