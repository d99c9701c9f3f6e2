#include "corosim/harness/testing.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "corosim/replay/replay.h"
#include "corosim/replay/trace_text.h"
#include "corosim/replay/repro_writer.h"

namespace corosim {

namespace {

std::string repro_folder() {
  if (const char* out = std::getenv("COROSIM_OUT"); out != nullptr && *out != '\0') return out;
  return (std::filesystem::temp_directory_path() / "corosim-repros").string();
}

}  // namespace

Exploration explore(const Scenario& scenario, ExploreOptions options) {
  if (options.cancel == CancelExploration::automatic) {  // unset: the scenario's own
    options.cancel = scenario.expect.cancel;
    options.cancel_modes = scenario.expect.cancel_modes;
  }
  Exploration result{scenario.name, {}, {}, {}, {}};
  absl::StatusOr<ScenarioReport> explored = explore_scenario(scenario, options);
  if (!explored.ok()) {
    result.status = explored.status();
    result.explanation =
        absl::StrCat("scenario ", scenario.name, " was not explored: ", explored.status().message(), "\n");
    return result;
  }
  result.report = *std::move(explored);
  const ScenarioReport& report = result.report;
  if (report.met) return result;

  std::ostringstream text;
  text << "scenario " << scenario.name << " (" << scenario.expect.str() << "): ";
  const RunResult* shown = report.shown_failure();
  if (!shown) {
    text << "expected a failure, but all " << report.runs << " runs passed\n";
    result.explanation = text.str();
    return result;
  }
  const Failure& failure = *shown->failure;
  text << "failed: " << checker_name(failure.checker) << " at " << failure.location.str() << " (seed "
       << shown->seed << ")\n"
       << indent(failure.message, "  ") << "\n";

  // The run again, from its decisions, for its trace.
  SimOptions sim = options.sim;
  sim.cancel = shown->cancel_plan;
  const Rerun again = rerun_decisions(scenario.body, sim, shown->seed, shown->decisions);
  std::ostringstream trace;
  print_trace_text(again.trace, trace, failure_tail(again.run));
  text << "each fiber's last events:\n" << indent(trace.str(), "  ");

  ReproWriter writer(repro_folder());
  if (writer.prepare().ok()) {
    if (auto path = writer.write(make_repro(scenario.name, options.strategy, sim, *shown)); path.ok()) {
      result.repro_path = *path;
      text << "repro: " << *path << "\nreplay: corosim replay " << *path << "  (in a binary that registers "
           << scenario.name << " and calls corosim::main)\n";
    }
  }
  result.explanation = text.str();
  return result;
}

Exploration explore(const std::string& name, Task<void> (*body)(), Expectation expect,
                    ExploreOptions options) {
  const Scenario scenario{name, std::move(expect), body, {}};
  return explore(scenario, std::move(options));
}

}  // namespace corosim
