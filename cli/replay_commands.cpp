#include "corosim/cli/replay_commands.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "corosim/cli/injection_text.h"
#include "corosim/replay/export.h"
#include "corosim/replay/html.h"
#include "corosim/replay/minimize.h"
#include "corosim/replay/replay.h"
#include "corosim/replay/trace_text.h"
#include "corosim/executor/hash.h"

namespace corosim::cli {

namespace {

namespace fs = std::filesystem;

std::string describe_outcome(const RunResult& run) {
  if (run.passed()) return "passed";
  return absl::StrCat("failed: ", checker_name(run.failure->checker), " at ", run.failure->location.str());
}

std::string describe_cancel(const CancelPlan& plan) {
  switch (plan.kind) {
    case CancelPlan::Kind::none: return "none";
    case CancelPlan::Kind::at_point:
      return absl::StrCat(cancel_mode_name(plan.mode), " at point ", plan.point);
    case CancelPlan::Kind::random:
      return "random (" + cancel_modes_string(plan.modes) + (plan.once ? ", at most once" : "") + ")";
  }
  return "?";
}

void export_trace(const Trace& trace, TraceFormat format, const ReplayFlags& flags, const RunResult& run,
                  std::ostream& out) {
  switch (format) {
    case TraceFormat::text: {
      print_trace_text(trace, out,
                       flags.full ? TextTraceOptions{0, true} : failure_tail(run, flags.trace_tail));
      return;
    }
    case TraceFormat::columns: write_trace_columns(trace, out); return;
    case TraceFormat::jsonl: write_trace_jsonl(trace, out); return;
    case TraceFormat::perfetto: write_trace_perfetto(trace, out); return;
  }
}

}  // namespace

std::string file_stem(const std::string& path) {
  const std::string suffix = ".repro";
  if (path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return path.substr(0, path.size() - suffix.size());
  }
  return path;
}

absl::StatusOr<LoadedRepro> load_repro(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return text.status();
  auto repro = parse_repro(*text, path);
  if (!repro.ok()) return repro.status();
  const Scenario* scenario = ScenarioRegistry::global().find(repro->scenario);
  if (scenario == nullptr) {
    return absl::NotFoundError(absl::StrCat(path, ": scenario '", repro->scenario, "' is not in this binary",
                                            ScenarioRegistry::global().suggest(repro->scenario)));
  }
  return LoadedRepro{std::move(*repro), scenario};
}

namespace {

// What the replay found: divergence, outcome, and whether it is the recorded one.
void print_replay_outcome(const Repro& repro, const ReplayOutcome& outcome, const ReplayFlags& flags,
                          bool halted) {
  if (outcome.divergence) {
    std::cout << (halted ? "  diverged: the code no longer makes the recorded run; stopped at the first "
                           "divergent decision\n"
                         : "  diverged, continued with " + *flags.continue_with + ":\n")
              << indent(*outcome.divergence, "    ") << "\n";
  }
  if (halted) return;
  std::cout << "  outcome: " << describe_outcome(outcome.run) << "\n";
  if (!outcome.run.passed()) {
    std::cout << indent(outcome.run.failure->message, "    ") << "\n";
    std::cout << injection_lines(outcome.run.injections, "    ");
  }
  const std::string recorded = !repro.checker
                                   ? std::string("passed")
                                   : absl::StrCat("failed: ", repro.checker_text(), " at ", repro.location);
  std::cout << "  recorded: " << recorded
            << (outcome.signature_matches ? " (same outcome)" : " (a different outcome now)") << "\n";
  std::cout << "  trace hash " << hash_hex(outcome.run.trace_hash)
            << (outcome.hash_matches ? " matches the recording"
                                     : " differs from the recorded " + hash_hex(repro.trace_hash))
            << "\n";
}

// --html and --out (or the trace on the terminal).
absl::Status write_replay_trace(const Repro& repro, const ReplayOutcome& outcome, TraceFormat format,
                                const ReplayFlags& flags) {
  if (!flags.html.empty()) {
    std::ostringstream page;
    const std::string summary = absl::StrCat(
        describe_outcome(outcome.run), outcome.run.passed() ? "" : "\n" + outcome.run.failure->message, "\n",
        repro.decisions.size(), " decision(s), cancel ", describe_cancel(repro.cancel), ", trace hash ",
        hash_hex(outcome.run.trace_hash), " (", flags.path, ")");
    write_trace_html(outcome.trace, HtmlHeading{repro.scenario, summary}, page);
    if (absl::Status status = write_file_atomically(flags.html, page.str()); !status.ok()) return status;
    std::cout << "  timeline written to " << flags.html << " (open it in a browser)\n";
  }
  if (flags.out.empty()) {
    std::cout << "\n";
    export_trace(outcome.trace, format, flags, outcome.run, std::cout);
    return absl::OkStatus();
  }
  std::ostringstream text;
  export_trace(outcome.trace, format, flags, outcome.run, text);
  if (absl::Status status = write_file_atomically(flags.out, text.str()); !status.ok()) return status;
  std::cout << "  trace (" << flags.trace_format << ") written to " << flags.out << "\n";
  return absl::OkStatus();
}

}  // namespace

int command_replay(const char* argv0, const ReplayFlags& flags) {
  auto loaded = load_repro(flags.path);
  if (!loaded.ok()) return usage_error("replay", loaded.status());
  auto format = parse_trace_format(flags.trace_format);
  if (!format.ok()) return usage_error("replay", format.status());
  ReplayOptions options;
  if (flags.continue_with) {
    options.mode = ReplayStrategy::Mode::continue_with;
    options.continue_with = *flags.continue_with;
  }
  auto outcome = replay_repro(loaded->repro, loaded->scenario->body, options);
  if (!outcome.ok()) return usage_error("replay", outcome.status());
  const Repro& repro = loaded->repro;
  std::cout << absl::StrFormat("corosim replay %s: %s, %d decision(s), cancel %s\n", flags.path,
                               repro.scenario, repro.decisions.size(), describe_cancel(repro.cancel));
  const bool halted = outcome->divergence && !flags.continue_with;
  print_replay_outcome(repro, *outcome, flags, halted);
  if (absl::Status status = write_replay_trace(repro, *outcome, *format, flags); !status.ok()) {
    return usage_error("replay", status);
  }
  if (halted) {
    std::cout << "\n  to explore from the divergence: " << argv0 << " replay " << flags.path
              << " --continue random\n";
    return kExitDiverged;
  }
  return outcome->run.passed() ? kExitMet : kExitNotMet;
}

int command_minimize(const char* argv0, const MinimizeFlags& flags) {
  auto loaded = load_repro(flags.path);
  if (!loaded.ok()) {
    return usage_error("minimize", loaded.status());
  }
  auto result = minimize_repro(loaded->repro, loaded->scenario->body, flags.max_replays);
  if (!result.ok()) {
    std::cerr << "corosim minimize: " << flags.path << ": " << result.status().message() << "\n";
    return kExitNotMet;
  }
  const std::string out = flags.out.empty() ? file_stem(flags.path) + ".min.repro" : flags.out;
  const std::string text =
      absl::StrCat("# minimised by corosim from ", result->decisions_before, " decisions (",
                   fs::path(flags.path).filename().string(), ")\n", format_repro(result->repro));
  if (absl::Status status = write_file_atomically(out, text); !status.ok()) {
    return usage_error("minimize", status);
  }
  const Repro& before = loaded->repro;
  std::cout << absl::StrFormat(
      "corosim minimize %s: %s, %s at %s\n  decisions: %d -> %d (non-plain choices: %d -> %d)\n", flags.path,
      before.scenario, before.checker_text(), before.location, result->decisions_before,
      result->decisions_after, result->nonzero_before, result->nonzero_after);
  if (before.cancel.kind == CancelPlan::Kind::at_point) {
    std::cout << absl::StrFormat("  cancellation point: %d -> %d\n", before.cancel.point,
                                 result->repro.cancel.point);
  }
  std::cout << absl::StrFormat(
      "  %d replay(s)%s\n  wrote %s\n  replay: %s replay %s\n", result->replays,
      result->replays >= flags.max_replays ? " (the budget; --max-replays for more)" : "", out, argv0, out);
  return kExitMet;
}

}  // namespace corosim::cli
