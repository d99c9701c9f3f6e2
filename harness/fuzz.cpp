#include "corosim/harness/fuzz.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "corosim/harness/schedule_coverage.h"
#include "corosim/replay/replay.h"
#include "corosim/runtime/real_time.h"
#include "corosim/replay/trace_text.h"
#include "corosim/sim/strategy/replay.h"

namespace corosim {

namespace {

// Follows a repro's decisions in a fuzz run of its scenario, answering the
// cancellation decisions the fuzz run asks (random injection) so that it
// cancels where the repro's plan did.
class FollowRepro final : public Strategy {
 public:
  FollowRepro(const Repro& repro, std::size_t mode_index)
      : plan_(repro.cancel),
        mode_index_(mode_index),
        replay_(repro.decisions, ReplayStrategy::Mode::lenient) {}

  void begin_run(std::uint64_t seed) override { replay_.begin_run(seed); }
  std::string describe() const override { return "fuzz"; }
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override {
    if (plan_.kind == CancelPlan::Kind::random) return replay_.choose(kind, n);
    const bool at_point = plan_.kind == CancelPlan::Kind::at_point;
    switch (kind) {
      case DecisionKind::cancel_arm: return at_point ? 1 : 0;  // every site, so every point asks
      case DecisionKind::cancel_fire: return at_point && fires_++ == plan_.point ? 1 : 0;
      case DecisionKind::cancel_mode: return mode_index_;
      default: return replay_.choose(kind, n);
    }
  }

 private:
  CancelPlan plan_;
  std::size_t mode_index_;
  ReplayStrategy replay_;
  std::uint64_t fires_ = 0;
};

}  // namespace

SimOptions fuzz_options(const Scenario& scenario) {
  SimOptions options;
  if (scenario.expect.cancel == CancelExploration::none) return options;
  options.cancel = CancelPlan::random(scenario.expect.cancel_modes);
  // A swept scenario (auto sweeps too) meets one cancellation per run; so
  // does its fuzz run.
  options.cancel.once = scenario.expect.cancel != CancelExploration::random;
  return options;
}

FuzzHarness::FuzzHarness(const Scenario& scenario)
    : scenario_(scenario), options_(fuzz_options(scenario)), simulator_(strategy_, options_) {}

const RunResult& FuzzHarness::run(std::string_view input) {
  strategy_.set_input(input);
  last_ = simulator_.run(scenario_.body, 0);
  return last_;
}

Repro FuzzHarness::repro() const { return make_repro(scenario_.name, "fuzz", options_, last_); }

absl::StatusOr<std::string> fuzz_input_from_repro(const Scenario& scenario, const Repro& repro) {
  const SimOptions options = fuzz_options(scenario);
  const CancelPlan& fuzz_plan = options.cancel;
  std::size_t mode_index = 0;
  switch (repro.cancel.kind) {
    case CancelPlan::Kind::none: break;
    case CancelPlan::Kind::at_point: {
      const auto& modes = fuzz_plan.modes;
      const auto found = std::find(modes.begin(), modes.end(), repro.cancel.mode);
      // prestart at a point acts at the k-th fiber start, which random injection has no form for.
      if (fuzz_plan.kind != CancelPlan::Kind::random || found == modes.end() ||
          repro.cancel.mode == CancelMode::prestart) {
        return absl::FailedPreconditionError(
            absl::StrCat("the repro cancels in mode ", cancel_mode_name(repro.cancel.mode),
                         ", which fuzz runs of ", scenario.name, " never inject (they inject: ",
                         modes.empty() ? std::string("nothing") : cancel_modes_string(modes), ")"));
      }
      mode_index = static_cast<std::size_t>(found - modes.begin());
      break;
    }
    case CancelPlan::Kind::random:
      if (fuzz_plan.kind != CancelPlan::Kind::random || fuzz_plan.modes != repro.cancel.modes ||
          fuzz_plan.once != repro.cancel.once) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the repro injects random cancellation in modes ", cancel_modes_string(repro.cancel.modes),
            repro.cancel.once ? " at most once" : "", "; fuzz runs of ", scenario.name, " inject ",
            fuzz_plan.modes.empty() ? std::string("nothing") : cancel_modes_string(fuzz_plan.modes)));
      }
      break;
  }
  if (repro.timer_jitter_ns != options.timer_jitter_ns || repro.steps_max != options.steps_max ||
      repro.time_max_ns != options.time_max_ns) {
    return absl::FailedPreconditionError(
        "the repro ran with its own timer jitter, step bound or time bound; fuzz runs use the defaults");
  }
  FollowRepro follow(repro, mode_index);
  Simulator simulator(follow, options);
  const RunResult run = simulator.run(scenario.body, 0);
  if (failure_key(run) != failure_key(repro)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "followed as a fuzz run, the repro's run ",
        run.passed() ? std::string("passes")
                     : absl::StrCat("fails with ", checker_name(run.failure->checker), " at ",
                                    run.failure->location.str()),
        " instead of ",
        !repro.checker ? std::string("passing") : repro.checker_text() + " at " + repro.location,
        repro.version < 4 ? absl::StrCat(" (a version ", repro.version, " repro also decided before each ",
                                         repro.version < 3 ? "yield_now and each " : "",
                                         "operation that parks anyway, which fuzz runs do not: "
                                         "re-record it with `corosim run --out DIR`)")
                          : std::string()));
  }
  return decisions_to_bytes(run.decisions);
}

int fuzz_one_input(const char* name, const std::uint8_t* data, std::size_t size,
                   std::span<std::uint8_t> schedule_counters) {
  static FuzzHarness* harness = [name] {
    const Scenario* scenario = ScenarioRegistry::global().find(name);
    if (scenario == nullptr) {
      std::fprintf(stderr, "corosim fuzz target: no scenario '%s' in this binary; it has:\n", name);
      for (const Scenario& known : ScenarioRegistry::global().all()) {
        std::fprintf(stderr, "  %s\n", known.name.c_str());
      }
      std::abort();
    }
    return new FuzzHarness(*scenario);  // lives as long as the fuzzer process
  }();
  // libFuzzer's alarm handler reads the clock (its -timeout check) and may
  // land inside a run: not the scenario's doing. `corosim run` and replay of
  // the imported input still report the scenario's own real-time calls.
  const RealTimeAllowed harness_timers;
  const RunResult& run = harness->run(std::string_view(reinterpret_cast<const char*>(data), size));
  // COROSIM_SCHEDULE_COVERAGE=off: code coverage alone (to compare, as fuzz/measure.sh does).
  static const bool schedule_coverage = [] {
    const char* setting = std::getenv("COROSIM_SCHEDULE_COVERAGE");
    if (setting == nullptr || std::string_view(setting) == "on") return true;
    if (std::string_view(setting) == "off") return false;
    std::fprintf(stderr, "corosim fuzz target: COROSIM_SCHEDULE_COVERAGE is '%s'; it takes on or off\n",
                 setting);
    std::abort();
  }();
  if (schedule_coverage && !schedule_counters.empty()) {
    static ScheduleCoverage* coverage = new ScheduleCoverage;  // as long as the harness
    coverage->count(harness->trace(), schedule_counters);
  }
  if (run.passed()) return 0;
  std::ostringstream text;
  text << "\ncorosim: fuzz run of " << harness->scenario().name
       << " failed: " << checker_name(run.failure->checker) << " at " << run.failure->location.str() << "\n"
       << run.failure->message << "\n\ntrace (each fiber's last events up to the failure):\n";
  print_trace_text(harness->trace(), text, failure_tail(run));
  text << "\nmake this input a repro, then replay or minimise it:\n  corosim import-fuzz "
       << harness->scenario().name << " <the crash file libFuzzer names below>\n\n";
  std::fputs(text.str().c_str(), stderr);
  std::abort();
}

absl::StatusOr<std::string> scenario_of_fuzz_target(std::string_view program) {
  if (const std::size_t slash = program.rfind('/'); slash != std::string_view::npos) {
    program.remove_prefix(slash + 1);
  }
  // Debian's abseil takes no std::string_view in StrCat.
  const std::string target(program);
  constexpr std::string_view kSuffix = "_fuzzer";
  if (!program.ends_with(kSuffix) || program.size() == kSuffix.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", target, "' is not a scenario's fuzz target name (SCENARIO_fuzzer, with '_' for '/')"));
  }
  const std::string_view flat = program.substr(0, program.size() - kSuffix.size());
  std::vector<std::string> matches;
  for (const Scenario& scenario : ScenarioRegistry::global().all()) {
    std::string name = scenario.name;
    std::replace(name.begin(), name.end(), '/', '_');
    if (name == flat) matches.push_back(scenario.name);
  }
  if (matches.size() > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("the fuzz target name '", target, "' fits both ", matches[0], " and ", matches[1]));
  }
  if (matches.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no scenario in this binary has the fuzz target name '", target,
                     "' (`corosim list` names them; SCENARIO_fuzzer, with '_' for '/')"));
  }
  return matches.front();
}

}  // namespace corosim
