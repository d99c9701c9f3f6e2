#include "corosim/harness/testing.h"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "corosim/replay/replay.h"
#include "corosim/replay/repro_writer.h"
#include "corosim/replay/trace_text.h"

namespace corosim {

namespace {

std::string repro_folder() {
  if (const char* out = std::getenv("COROSIM_OUT"); out != nullptr && *out != '\0') return out;
  return (std::filesystem::temp_directory_path() / "corosim-repros").string();
}

// The running binary's path, for a replay command that runs it again.
std::string this_binary() {
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("<this test binary>") : exe.string();
}

// The repro $COROSIM_REPLAY names, when it records this scenario; an error
// status for a file that cannot be read or parsed (every explore() says so).
absl::StatusOr<std::optional<Repro>> repro_to_replay(const std::string& scenario) {
  const char* path = std::getenv("COROSIM_REPLAY");
  if (path == nullptr || *path == '\0') return std::nullopt;
  auto text = read_file(path);
  if (!text.ok())
    return absl::InvalidArgumentError(absl::StrCat("COROSIM_REPLAY: ", text.status().message()));
  auto repro = parse_repro(*text, path);
  if (!repro.ok())
    return absl::InvalidArgumentError(absl::StrCat("COROSIM_REPLAY: ", repro.status().message()));
  if (repro->scenario != scenario) return std::nullopt;  // another test's
  return std::optional<Repro>(*std::move(repro));
}

Exploration replay_instead(const Scenario& scenario, const Repro& repro) {
  Exploration result{scenario.name, {}, {}, {}, {}, {}, true};
  absl::StatusOr<ReplayOutcome> replayed = replay_repro(repro, scenario.body);
  if (!replayed.ok()) {
    result.status = replayed.status();
    result.explanation =
        absl::StrCat("scenario ", scenario.name, " was not replayed: ", replayed.status().message(), "\n");
    return result;
  }
  const RunResult& run = replayed->run;
  ScenarioReport& report = result.report;
  report.scenario = &scenario;
  report.runs = 1;
  report.failures = run.passed() ? 0 : 1;
  report.trace_hash = run.trace_hash;
  if (!run.passed()) report.first_failure = run;
  const bool allowed =
      run.passed() ? !scenario.expect.expects_failure() : scenario.expect.allows(run.failure->checker);
  report.met = !replayed->divergence && allowed;
  if (!run.passed() && !allowed) report.first_unexpected = run;

  std::ostringstream text;
  text << "scenario " << scenario.name << " (" << scenario.expect.str() << "): replayed "
       << std::getenv("COROSIM_REPLAY") << "\n";
  if (replayed->divergence) {
    text << "  diverged: the code no longer makes the recorded run; stopped at the first divergent decision\n"
         << indent(*replayed->divergence, "    ") << "\n";
  }
  text << "  outcome: "
       << (run.passed() ? std::string("passed")
                        : absl::StrCat("failed: ", checker_name(run.failure->checker), " at ",
                                       run.failure->location.str()))
       << (replayed->signature_matches ? " (as recorded)" : " (the recording differs)") << "\n";
  if (!run.passed()) text << indent(run.failure->message, "    ") << "\n";
  std::ostringstream trace;
  print_trace_text(replayed->trace, trace, failure_tail(run));
  text << "each fiber's last events:\n" << indent(trace.str(), "  ");
  result.explanation = text.str();
  return result;
}

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string replay_command_line(const std::string& repro_path, const std::string& filter) {
  std::string line =
      absl::StrCat("COROSIM_REPLAY=", shell_quote(repro_path), " ", shell_quote(this_binary()));
  if (!filter.empty()) absl::StrAppend(&line, " ", filter);
  return line;
}

Exploration explore(const Scenario& scenario, ExploreOptions options) {
  if (options.cancel == CancelExploration::automatic) {  // unset: the scenario's own
    options.cancel = scenario.expect.cancel;
    options.cancel_modes = scenario.expect.cancel_modes;
  }
  Exploration result{scenario.name, {}, {}, {}, {}, {}, false};
  absl::StatusOr<std::optional<Repro>> to_replay = repro_to_replay(scenario.name);
  if (!to_replay.ok()) {
    result.status = to_replay.status();
    result.explanation = absl::StrCat("scenario ", scenario.name, ": ", to_replay.status().message(), "\n");
    return result;
  }
  if (*to_replay) return replay_instead(scenario, **to_replay);
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
      result.replay_command = replay_command_line(*path);
      text << "repro: " << *path << "\nreplay: " << result.replay_command << "\n";
    }
  }
  result.explanation = text.str();
  return result;
}

Exploration explore(const std::string& name, MainFactory body, Expectation expect, ExploreOptions options) {
  const Scenario scenario{name, std::move(expect), std::move(body), {}};
  return explore(scenario, std::move(options));
}

}  // namespace corosim
