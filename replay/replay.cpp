#include "corosim/replay/replay.h"

#include <algorithm>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "corosim/replay/trace_text.h"

namespace corosim {

SimOptions options_for(const Repro& repro) {
  SimOptions options;
  options.steps_max = repro.steps_max;
  options.time_max_ns = repro.time_max_ns;
  options.timer_jitter_ns = repro.timer_jitter_ns;
  options.cancel = repro.cancel;
  options.decide_before_yield_now = repro.version < 3;
  options.decide_before_parking = repro.version < 4;
  return options;
}

namespace {

// This run's side of a divergence: the events just before it (up to
// `end`, the index where it stopped, or the end of the trace).
std::string run_context(const Trace& trace, std::uint64_t end) {
  const auto& events = trace.events();
  const std::size_t stop = std::min<std::size_t>(events.size(), end);
  const std::size_t from = stop >= 6 ? stop - 6 : 0;
  std::string out = "\n  this run's events just before it:";
  if (from == stop) out += "\n    (none: it diverged before the first event)";
  for (std::size_t i = from; i < stop; ++i) {
    absl::StrAppend(
        &out, "\n    ", trace_kind_name(events[i].kind), " of ",
        events[i].fiber == kNoFiber ? std::string("the scheduler") : absl::StrCat("fiber ", events[i].fiber),
        " at t=", events[i].time_ns, "ns ", event_details(trace, events[i]));
  }
  return out;
}

}  // namespace

std::string failure_key(const RunResult& run) {
  if (run.passed()) return "";
  return checker_name(run.failure->checker) + std::string("|") + run.failure->location.str();
}

std::string failure_key(const Repro& repro) {
  return repro.checker ? checker_name(*repro.checker) + std::string("|") + repro.location : std::string();
}

Repro make_repro(const std::string& scenario, const std::string& strategy, const SimOptions& options,
                 const RunResult& run) {
  Repro repro;
  repro.scenario = scenario;
  repro.strategy = strategy;
  repro.seed = run.seed;
  repro.cancel = options.cancel;
  repro.steps_max = options.steps_max;
  repro.time_max_ns = options.time_max_ns;
  repro.timer_jitter_ns = options.timer_jitter_ns;
  repro.version = repro_version_for(options.decide_before_yield_now, options.decide_before_parking);
  repro.decisions = run.decisions;
  if (run.failure) {
    repro.checker = run.failure->checker;
    const std::string& message = run.failure->message;
    repro.message = message.substr(0, message.find('\n'));
    repro.location = run.failure->location.str();
  }
  repro.trace_hash = run.trace_hash;
  return repro;
}

Rerun rerun_decisions(const MainFactory& body, const SimOptions& options, std::uint64_t seed,
                      const DecisionStream& decisions) {
  ReplayStrategy strategy(decisions, ReplayStrategy::Mode::lenient);
  Simulator simulator(strategy, options);
  Rerun rerun;
  rerun.run = simulator.run(body, seed);
  rerun.trace = simulator.trace();
  return rerun;
}

absl::StatusOr<ReplayOutcome> replay_repro(const Repro& repro, const MainFactory& body,
                                           const ReplayOptions& options) {
  std::unique_ptr<Strategy> fallback;
  if (options.mode == ReplayStrategy::Mode::continue_with) {
    auto made = make_strategy(options.continue_with);
    if (!made.ok()) return made.status();
    fallback = std::move(*made);
  }
  ReplayStrategy strategy(repro.decisions, options.mode, std::move(fallback));
  Simulator simulator(strategy, options_for(repro));
  ReplayOutcome outcome;
  outcome.run = simulator.run(body, repro.seed);
  outcome.trace = simulator.trace();
  if (strategy.divergence()) {
    const bool stopped = outcome.run.failure && outcome.run.failure->checker == Checker::replay_diverged;
    outcome.divergence =
        *strategy.divergence() +
        run_context(outcome.trace, stopped ? outcome.run.failure->event : outcome.trace.events().size());
    if (options.mode == ReplayStrategy::Mode::halt && outcome.run.failure &&
        outcome.run.failure->checker == Checker::replay_diverged) {
      outcome.run.failure->message = *outcome.divergence;
    }
  } else if (options.mode != ReplayStrategy::Mode::lenient && strategy.consumed() < strategy.recorded()) {
    outcome.divergence = absl::StrCat("the run ended after ", strategy.consumed(), " of the ",
                                      strategy.recorded(), " recorded decisions") +
                         run_context(outcome.trace, outcome.trace.events().size());
  }
  outcome.hash_matches = outcome.run.trace_hash == repro.trace_hash;
  outcome.signature_matches = failure_key(outcome.run) == failure_key(repro);
  return outcome;
}

}  // namespace corosim
