#include "corosim/cli/run_command.h"

#include <fnmatch.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "corosim/cli/crash.h"
#include "corosim/cli/isolate.h"
#include "corosim/cli/exit.h"
#include "corosim/cli/flags.h"
#include "corosim/cli/injection_text.h"
#include "corosim/cli/interrupt.h"
#include "corosim/cli/progress.h"
#include "corosim/cli/regressions.h"
#include "corosim/cli/replay_commands.h"
#include "corosim/replay/replay.h"
#include "corosim/replay/repro_writer.h"
#include "corosim/replay/trace_text.h"
#include "corosim/scenarios/registry.h"
#include "corosim/sim/strategy/replay.h"

namespace corosim::cli {

namespace {

// The cancellation a scenario is explored with: its own default, unless the
// command line names one.
struct CancelChoice {
  CancelExploration exploration = CancelExploration::none;
  std::vector<CancelMode> modes;
  std::uint64_t at = 0;
};

// Validates the cancellation flags; nullopt when none was given.
absl::StatusOr<std::optional<CancelChoice>> cancel_override(const RunFlags& flags) {
  if (!flags.cancel && !flags.cancel_modes_text && !flags.cancel_at) return std::nullopt;
  CancelChoice choice;
  auto modes = parse_cancel_modes(flags.cancel_modes_text.value_or(cancel_modes_string(all_cancel_modes())));
  if (!modes.ok()) return modes.status();
  choice.modes = *modes;
  if (flags.cancel_at) {
    if (flags.cancel) {
      return absl::InvalidArgumentError("--cancel-at reruns one point: it excludes --cancel " +
                                        *flags.cancel);
    }
    if (choice.modes.size() != 1) {
      return absl::InvalidArgumentError("--cancel-at needs exactly one --cancel-modes mode");
    }
    choice.exploration = CancelExploration::at;
    choice.at = *flags.cancel_at;
    return choice;
  }
  const std::string name = flags.cancel.value_or("sweep");
  if (name == "none") {
    choice.exploration = CancelExploration::none;
  } else if (name == "sweep") {
    choice.exploration = CancelExploration::sweep;
  } else if (name == "random") {
    choice.exploration = CancelExploration::random;
  } else if (name == "auto") {
    choice.exploration = CancelExploration::automatic;
  } else {
    return absl::InvalidArgumentError("unknown --cancel '" + name +
                                      "' (choose one of: auto, none, sweep, random)");
  }
  return choice;
}

CancelChoice cancel_for(const Scenario& scenario, const std::optional<CancelChoice>& override) {
  if (override) return *override;
  return CancelChoice{scenario.expect.cancel, scenario.expect.cancel_modes, 0};
}

std::string describe_cancel(const CancelChoice& choice) {
  switch (choice.exploration) {
    case CancelExploration::none: return "none";
    case CancelExploration::automatic:
    case CancelExploration::sweep:
    case CancelExploration::random:
      return absl::StrCat(cancel_exploration_name(choice.exploration), " (",
                          cancel_modes_string(choice.modes), ")");
    case CancelExploration::at:
      return absl::StrCat(cancel_mode_name(choice.modes.front()), " at point ", choice.at);
  }
  return "?";
}

// Selects scenarios by exact name or glob; every pattern must match something.
absl::StatusOr<std::vector<const Scenario*>> select_scenarios(const std::vector<std::string>& patterns) {
  const auto& all = ScenarioRegistry::global().all();
  std::vector<const Scenario*> selected;
  if (patterns.empty()) {
    for (const Scenario& scenario : all) {
      if (!scenario.in_benchmark_set()) selected.push_back(&scenario);
    }
    return selected;
  }
  std::vector<bool> taken(all.size(), false);
  for (const std::string& pattern : patterns) {
    bool matched = false;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (fnmatch(pattern.c_str(), all[i].name.c_str(), 0) != 0) continue;
      matched = true;
      taken[i] = true;
    }
    if (!matched) {
      return absl::NotFoundError(
          absl::StrCat("unknown scenario '", pattern, "'", ScenarioRegistry::global().suggest(pattern)));
    }
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (taken[i]) selected.push_back(&all[i]);
  }
  return selected;
}
}  // namespace

absl::Status apply_environment(RunFlags& flags, bool seed_given, bool seeds_given, bool strategy_given) {
  // As strict as the flags they stand for; set but empty reads as unset.
  auto number = [](const char* name, std::uint64_t min, std::uint64_t& out) -> absl::Status {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') return absl::OkStatus();
    auto value = parse_whole(text, name, min);
    if (!value.ok()) return value.status();
    out = *value;
    return absl::OkStatus();
  };
  if (!strategy_given) {
    const char* strategy = std::getenv("COROSIM_STRATEGY");
    flags.strategy = strategy != nullptr ? strategy : "pos";
  }
  if (!seed_given && !seeds_given) {
    if (absl::Status status = number("COROSIM_SEEDS", 1, flags.seeds); !status.ok()) return status;
    // --seed-start names the range's start: COROSIM_SEED (one seed) yields to it.
    if (const char* seed = std::getenv("COROSIM_SEED");
        seed != nullptr && *seed != '\0' && !flags.seed_start) {
      if (absl::Status status = number("COROSIM_SEED", 0, flags.seed); !status.ok()) return status;
      flags.seeds = 1;
    }
    if (flags.seeds == 0) flags.seeds = 100;
  } else if (seed_given) {
    flags.seeds = 1;
  } else {
    flags.seed = 0;
  }
  if (flags.seed_start) flags.seed = *flags.seed_start;
  if (flags.seeds == 0) return absl::InvalidArgumentError("--seeds must be at least 1");
  if (flags.out_dir.empty()) {
    if (const char* out = std::getenv("COROSIM_OUT"); out != nullptr) flags.out_dir = out;
  }
  if (flags.shard_text) {
    auto shard = cli::parse_shard(*flags.shard_text);
    if (!shard.ok()) return shard.status();
    if (shard->index > flags.seeds) {
      return absl::InvalidArgumentError(absl::StrCat("--shard ", *flags.shard_text, ": only ", flags.seeds,
                                                     " seed(s) to share among ", shard->count, " shards"));
    }
    flags.shard = *shard;
  } else if (!seed_given && flags.seeds > 1) {  // a one-seed run (a rerun line) is never split
    std::string note;
    auto runner = cli::shard_from_environment(note);
    if (!runner.ok()) return runner.status();
    if (!note.empty()) std::cerr << "corosim run: " << note << "\n";
    if (*runner) {
      if ((*runner)->shard.index > flags.seeds) {
        return absl::InvalidArgumentError(absl::StrCat((*runner)->source, ": only ", flags.seeds,
                                                       " seed(s) to share among ", (*runner)->shard.count,
                                                       " shards"));
      }
      flags.shard = (*runner)->shard;
      flags.shard_source = (*runner)->source;
    }
  }
  if (flags.check_determinism) {
    // A fraction of runs, checked as every Nth run: 1 is every run, 0 none.
    double fraction = 1.0;
    if (!flags.check_determinism->empty() &&
        (!absl::SimpleAtod(*flags.check_determinism, &fraction) || fraction < 0 || fraction > 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--check-determinism '", *flags.check_determinism, "' is not a fraction from 0 to 1"));
    }
    flags.determinism_check_every = fraction == 0 ? 0 : static_cast<std::uint64_t>(1.0 / fraction + 0.5);
  }
  return absl::OkStatus();
}

namespace {

// Whether a crash's rerun line can be the strategy's name and the seed (not
// for strategies that learn or enumerate across runs).
bool reruns_from_seed(const RunFlags& flags) {
  auto strategy = make_strategy(flags.strategy);
  return !strategy.ok() || (*strategy)->seed_pure();
}

// `corosim run NAME --strategy SPEC` and every flag that shapes its runs.
std::string run_line(const char* argv0, const Scenario& scenario, const RunFlags& flags,
                     const std::string& strategy) {
  std::string command = absl::StrCat(argv0, " run ", scenario.name, " --strategy ", strategy);
  if (flags.steps_max != SimOptions{}.steps_max) absl::StrAppend(&command, " --steps-max ", flags.steps_max);
  if (flags.time_max_s * 1'000'000'000 != SimOptions{}.time_max_ns) {
    absl::StrAppend(&command, " --time-max-s ", flags.time_max_s);
  }
  if (flags.timer_jitter_ms != 0) absl::StrAppend(&command, " --timer-jitter-ms ", flags.timer_jitter_ms);
  return command;
}

// The rerun line up to the seed, for a crash report: for a strategy whose
// runs depend on the runs before them, the sentence saying how to get one.
std::string rerun_prefix(const char* argv0, const Scenario& scenario, const RunFlags& flags) {
  if (!reruns_from_seed(flags)) {
    return absl::StrCat("(a ", flags.strategy,
                        " run depends on the runs before it, not on its seed: replay its repro file with `",
                        argv0, " replay FILE`; --out DIR writes one)");
  }
  return run_line(argv0, scenario, flags, flags.strategy);
}

// The exact command that makes one failing run again: its strategy as the run
// used it (a portfolio's member, pct with its step count), its seed and, for
// a run with injected cancellation, its injection. A run no seed remakes
// (dfs) has none: the sentence saying how to replay it instead (the callers
// print its repro's replay line when there is one).
std::string rerun_command(const char* argv0, const Scenario& scenario, const RunFlags& flags,
                          const CancelChoice& choice, const RunResult& run) {
  if (run.rerun_strategy.empty()) return rerun_prefix(argv0, scenario, flags);
  std::string command =
      absl::StrCat(run_line(argv0, scenario, flags, run.rerun_strategy), " --seed ", run.seed);
  if (run.failure && run.failure->checker == Checker::nondeterminism) {
    absl::StrAppend(&command, " --determinism-check 1");  // the check is what failed it
  }
  const CancelPlan& plan = run.cancel_plan;
  switch (plan.kind) {
    case CancelPlan::Kind::random:
      absl::StrAppend(&command, " --cancel random --cancel-modes ", cancel_modes_string(plan.modes));
      break;
    case CancelPlan::Kind::at_point:
      absl::StrAppend(&command, " --cancel-at ", plan.point, " --cancel-modes ", cancel_mode_name(plan.mode));
      break;
    case CancelPlan::Kind::none:
      // A sweep's reference run: no injection, whatever the scenario's default.
      if (choice.exploration != CancelExploration::none) absl::StrAppend(&command, " --cancel none");
      break;
  }
  return command + " --trace";
}

// The injection a failure report names: the first whose cancellation
// happened, else the first.
const CancelInjection& shown_injection(const RunResult& run) {
  for (const CancelInjection& injection : run.injections) {
    if (injection.landed) return injection;
  }
  return run.injections.front();
}

nlohmann::json failure_json(const RunResult& run) {
  const Failure& failure = *run.failure;
  nlohmann::json json = {{"seed", run.seed},
                         {"checker", checker_name(failure.checker)},
                         {"message", failure.message},
                         {"location", failure.location.str()},
                         {"step", failure.step},
                         {"time_ns", failure.time_ns},
                         {"trace_hash", hash_hex(run.trace_hash)},
                         {"found_by", run.made_by}};
  if (!run.injections.empty()) {
    const CancelInjection& injection = shown_injection(run);
    json["cancel_point"] = injection.point;
    json["cancel_mode"] = cancel_mode_name(injection.mode);
    json["cancel_location"] = injection.where.str();
    json["cancel_injections"] = run.injections.size();
    json["canceller"] = canceller_name(injection.canceller);
    json["canceller_location"] = injection.canceller_at.str();
    json["cancel_landed"] = injection.landed;
    if (held_across_time(injection)) {
      json["cancel_held_from_ns"] = injection.held_from_ns;
      json["cancel_held_until_ns"] = injection.held_until_ns;
    }
    if (injection.landed && injection.brought_forward_ns != 0) {
      json["cancel_timer_brought_forward_from_ns"] = injection.brought_forward_ns;
      json["cancel_timer_brought_forward_to_ns"] = injection.brought_forward_at_ns;
    }
  }
  return json;
}

nlohmann::json report_json(const ScenarioReport& report, const CancelChoice& choice) {
  nlohmann::json sites = nlohmann::json::array();
  for (const auto& [where, points] : report.cancel_sites) {
    sites.push_back({{"location", where}, {"points", points}});
  }
  nlohmann::json groups = nlohmann::json::array();
  for (const FailureGroup& group : report.failure_groups) {
    groups.push_back({{"checker", checker_name(group.checker)},
                      {"location", group.location},
                      {"runs", group.runs},
                      {"first_seed", group.first.seed}});
  }
  return {{"name", report.scenario->name},
          {"cancel_sites", sites},
          {"failure_groups", groups},
          {"expect", report.scenario->expect.str()},
          {"cancel", describe_cancel(choice)},
          {"outcome", report.outcome()},
          {"met", report.met},
          {"runs", report.runs},
          {"failures", report.failures},
          {"cancel_points", report.cancel_points},
          {"injected_sites", report.injected_sites},
          {"determinism_checks", report.determinism_checks},
          {"exhausted", report.exhausted},
          {"bound", report.exhausted ? nlohmann::json(report.bound) : nlohmann::json(nullptr)},
          {"enumerated_runs", report.enumerated_runs != 0 ? report.enumerated_runs : report.runs},
          {"first_failure", report.first_failure ? failure_json(*report.first_failure) : nullptr},
          {"first_unexpected", report.first_unexpected ? failure_json(*report.first_unexpected) : nullptr},
          {"trace_hash", hash_hex(report.trace_hash)}};
}

// The simulator options the run flags ask for.
SimOptions sim_options(const RunFlags& flags, const CancelPlan& plan) {
  SimOptions options;
  options.steps_max = flags.steps_max;
  options.time_max_ns = flags.time_max_s * 1'000'000'000;
  options.timer_jitter_ns = flags.timer_jitter_ms * 1'000'000;
  options.cancel = plan;
  return options;
}

// Replays one run (its decisions, its cancellation plan) to print its trace.
// A replay, not a rerun of the seed: it holds for stateful strategies too.
void print_trace_of(const Scenario& scenario, const RunFlags& flags, std::uint64_t seed,
                    const CancelPlan& plan, const DecisionStream& decisions) {
  const Rerun rerun = rerun_decisions(scenario.body, sim_options(flags, plan), seed, decisions);
  std::cout << "\n  trace of " << scenario.name << " seed " << seed << " (" << rerun.run.steps
            << " steps, hash " << hash_hex(rerun.run.trace_hash) << "):\n";
  std::ostringstream text;
  print_trace_text(rerun.trace, text, TextTraceOptions{flags.trace_tail});
  std::cout << indent(text.str(), "    ");
}

// One line per scenario at the end of a run, for reading a long run at a glance.
struct SummaryRow {
  std::string scenario;
  std::string expect;
  std::uint64_t runs = 0;
  std::uint64_t failures = 0;
  bool met = false;
  std::string repro;  // of the failure shown, with --out
};

void print_summary_table(const std::vector<SummaryRow>& rows) {
  if (rows.size() < 2) return;  // the scenario's own lines say it all
  std::size_t name_width = 8;
  std::size_t expect_width = 6;
  for (const SummaryRow& row : rows) {
    name_width = std::max(name_width, row.scenario.size());
    expect_width = std::max(expect_width, row.expect.size());
  }
  const auto line = [&](const std::string& scenario, const std::string& expect, const std::string& runs,
                        const std::string& failures, const std::string& verdict, const std::string& repro) {
    std::string text = absl::StrFormat("  %-*s  %-*s  %8s  %8s  %-7s  %s", name_width, scenario, expect_width,
                                       expect, runs, failures, verdict, repro);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    std::cout << text << "\n";
  };
  std::cout << "\nsummary:\n";
  line("scenario", "expect", "runs", "failures", "verdict", "repro");
  for (const SummaryRow& row : rows) {
    line(row.scenario, row.expect, std::to_string(row.runs), std::to_string(row.failures),
         row.met ? "met" : "NOT MET", row.repro);
  }
}

// What a run needs before its first scenario; every flag that can be wrong
// has been checked once it exists.
struct RunPlan {
  std::vector<const Scenario*> selected;
  std::optional<CancelChoice> override;
  std::optional<ReproWriter> repros;
  bool temporary_repros = false;  // repros is a folder run made itself (removed if left empty)
  const char* argv0 = "corosim";  // how the rerun lines name the program
};

absl::Status prepare_run(const RunFlags& flags, RunPlan& plan) {
  auto selected = select_scenarios(flags.patterns);
  if (!selected.ok()) return selected.status();
  plan.selected = *std::move(selected);
  auto strategy = make_strategy(flags.strategy);
  if (!strategy.ok()) return strategy.status();
  if ((*strategy)->stateful() && flags.shard.count > 1) {
    return absl::InvalidArgumentError(absl::StrCat("--shard splits seeds, but a ", flags.strategy,
                                                   " run depends on the runs before it, not on its seed: "
                                                   "shard by scenario instead"));
  }
  auto override = cancel_override(flags);
  if (!override.ok()) return override.status();
  plan.override = *override;
  if (!flags.out_dir.empty()) {
    plan.repros.emplace(flags.out_dir);
    if (absl::Status status = plan.repros->prepare(); !status.ok()) {
      return absl::Status(status.code(), absl::StrCat("--out: ", std::string(status.message())));
    }
  } else if ((*strategy)->stateful()) {
    // A dfs run is made again only by replaying its decisions: keep a repro
    // of each failure so that its rerun line has a file to replay, in a
    // folder of this invocation's own — repros are named by failure
    // signature, so in a shared folder a later run would replace the file an
    // earlier line names. (If no folder can be made, the line says how to
    // get one.)
    const char* temporary = std::getenv("TMPDIR");
    std::string folder = absl::StrCat(temporary != nullptr && *temporary != '\0' ? temporary : "/tmp",
                                      "/corosim-repros-XXXXXX");
    if (::mkdtemp(folder.data()) != nullptr) {
      plan.repros.emplace(folder);
      plan.temporary_repros = true;
    }
  }
  if (!flags.json_path.empty()) {
    // Checked before any run, without touching an existing file: the summary
    // replaces it in one rename at the end, so an interrupt or a crash leaves
    // the previous one whole.
    const std::string probe = absl::StrCat(flags.json_path, ".probe.", ::getpid());
    if (!std::ofstream(probe)) {
      return absl::PermissionDeniedError(absl::StrCat("cannot write --json file '", flags.json_path, "'"));
    }
    std::remove(probe.c_str());
  }
  return absl::OkStatus();
}

void print_run_header(const RunFlags& flags, const RunPlan& plan) {
  const Shard& shard = flags.shard;
  std::cout << absl::StrFormat(
      "corosim run: %d scenario(s), strategy %s, seeds %d..%d%s%s\n\n", plan.selected.size(), flags.strategy,
      flags.seed, flags.seed + flags.seeds - 1,
      shard.count > 1
          ? absl::StrFormat(", shard %d/%d%s: seeds %d, %d, ... (%d of them)", shard.index, shard.count,
                            flags.shard_source.empty() ? "" : " (" + flags.shard_source + ")",
                            flags.seed + shard.index - 1, flags.seed + shard.index - 1 + shard.count,
                            shard.seeds_of(flags.seeds))
          : "",
      plan.override ? ", cancel " + describe_cancel(*plan.override) : "");
}

// One scenario's exploration and the repros it wrote.
struct ScenarioRun {
  ScenarioReport report;
  CancelChoice choice;
  std::vector<std::pair<std::string, std::string>> repro_paths;  // failure key -> path
  std::string write_error;                                       // the first repro that could not be written
  std::string shown_repro;                                       // the repro of the failure shown, if written
};

ExploreOptions explore_options(const RunFlags& flags, const CancelChoice& choice) {
  ExploreOptions options;
  options.strategy = flags.strategy;
  options.first_seed = flags.seed + flags.shard.index - 1;
  options.seed_count = flags.shard.seeds_of(flags.seeds);
  options.seed_stride = flags.shard.count;
  options.auto_sweep = auto_sweep(flags.seed, flags.seeds);  // the whole range's, in every shard
  options.sim = sim_options(flags, CancelPlan{});
  options.cancel = choice.exploration;
  options.cancel_modes = choice.modes;
  options.cancel_at = choice.at;
  options.determinism_check_every = flags.determinism_check_every;
  return options;
}

// The repro --out wrote for a run's failure signature, or "".
std::string repro_path_of(const ScenarioRun& run, const RunResult& failed) {
  const std::string key = failure_key(failed);
  for (const auto& [known, path] : run.repro_paths) {
    if (known == key) return path;
  }
  return "";
}

ScenarioRun explore_one(const Scenario& scenario, const RunFlags& flags, RunPlan& plan, Progress& progress) {
  ScenarioRun run;
  run.choice = cancel_for(scenario, plan.override);
  ExploreOptions options = explore_options(flags, run.choice);
  const bool runs_known = run.choice.exploration != CancelExploration::sweep;
  std::uint64_t failures_so_far = 0;
  progress.start(scenario.name, runs_known ? options.seed_count : 0);
  options.on_run = [&](std::uint64_t done) { progress.update(done, failures_so_far); };
  options.stop_requested = [] { return interrupt_signal() != 0; };
  options.on_run_start = [](std::uint64_t seed, const SimOptions& sim, const DecisionLog& decisions) {
    set_run_in_flight(seed, sim, decisions);
  };
  set_crash_scenario(scenario.name, flags.strategy, rerun_prefix(plan.argv0, scenario, flags),
                     reruns_from_seed(flags));
  // One repro per failure signature; the first run of each is the one kept.
  options.on_failure = [&](const RunResult& failed, const SimOptions& sim) {
    ++failures_so_far;
    if (!plan.repros) return;
    if (!repro_path_of(run, failed).empty()) return;
    auto path = plan.repros->write(make_repro(scenario.name, flags.strategy, sim, failed));
    if (!path.ok()) {
      if (run.write_error.empty()) run.write_error = std::string(path.status().message());
      return;
    }
    run.repro_paths.emplace_back(failure_key(failed), *path);
  };
  // The strategy name was checked before any scenario ran.
  run.report = explore_scenario(scenario, options).value();
  clear_run_in_flight();
  progress.finish();
  if (const RunResult* shown = run.report.shown_failure()) run.shown_repro = repro_path_of(run, *shown);
  return run;
}

// When the runs failed in more than one way: each way, with its count and
// how to get its run (its repro, else its rerun line).
void print_failure_groups(const char* argv0, const Scenario& scenario, const RunFlags& flags,
                          const ScenarioRun& run) {
  const ScenarioReport& report = run.report;
  if (report.failure_groups.size() < 2) return;
  std::cout << absl::StrFormat(
      "        %d distinct failures%s:\n", report.failure_groups.size(),
      report.failure_groups.size() == ScenarioReport::kFailureGroupsMax ? " (at least)" : "");
  for (const FailureGroup& group : report.failure_groups) {
    const bool allowed = scenario.expect.allows(group.checker);
    std::cout << absl::StrFormat("          %s at %s: %d run(s), first seed %d%s\n",
                                 checker_name(group.checker), group.location, group.runs, group.first.seed,
                                 allowed ? "" : " (unexpected)");
    const std::string path = repro_path_of(run, group.first);
    std::cout << "            "
              << (path.empty() ? "rerun: " + rerun_command(argv0, scenario, flags, run.choice, group.first)
                               : absl::StrCat("replay: ", argv0, " replay ", path))
              << "\n";
  }
}

// The failure a scenario's verdict shows: what, where, how to rerun it.
void print_shown_failure(const char* argv0, const Scenario& scenario, const RunFlags& flags,
                         const ScenarioRun& run, const RunResult& shown) {
  const ScenarioReport& report = run.report;
  const Failure& failure = *shown.failure;
  // A portfolio says which member found it.
  const std::string found_by =
      shown.made_by != report.strategy ? absl::StrCat(" (found by ", shown.made_by, ")") : std::string();
  std::cout << "        " << (report.first_unexpected ? "unexpected failure" : "first failure") << ": seed "
            << shown.seed << found_by << ", " << checker_name(failure.checker) << " at "
            << failure.location.str() << "\n"
            << indent(failure.message, "          ") << "\n";
  // A stall whose canceller never acted cancelled nothing, but its holding
  // may have delayed the fiber.
  std::cout << injection_lines(shown.injections, "          ");
  // A run no seed remakes (dfs) is rerun by its replay: said once.
  if (!shown.rerun_strategy.empty() || run.shown_repro.empty()) {
    std::cout << "        rerun: " << rerun_command(argv0, scenario, flags, run.choice, shown) << "\n";
  }
  if (!run.shown_repro.empty())
    std::cout << "        replay: " << argv0 << " replay " << run.shown_repro << "\n";
  print_failure_groups(argv0, scenario, flags, run);
  if (flags.trace) {
    print_trace_of(scenario, flags, shown.seed, shown.cancel_plan, shown.decisions);
  }
}

// --trace of a passing single run: run it again to show its trace.
void print_passing_trace(const Scenario& scenario, const RunFlags& flags, const CancelChoice& choice) {
  CancelPlan plan;
  if (choice.exploration == CancelExploration::at) plan = CancelPlan::at(choice.at, choice.modes.front());
  if (choice.exploration == CancelExploration::random) plan = CancelPlan::random(choice.modes);
  auto strategy = make_strategy(flags.strategy);
  Simulator simulator(**strategy, sim_options(flags, plan));
  const RunResult run = simulator.run(scenario.body, flags.seed);
  print_trace_of(scenario, flags, flags.seed, plan, run.decisions);
}

// A scenario's verdict: one line, then what failed or what was proved.
void print_verdict(const char* argv0, const Scenario& scenario, const RunFlags& flags,
                   const ScenarioRun& run) {
  const ScenarioReport& report = run.report;
  std::string cancelled;
  if (run.choice.exploration != CancelExploration::none) {
    cancelled = absl::StrFormat(", %d with cancellation", report.cancel_points);
    if (report.cancel_points > 0)
      absl::StrAppendFormat(&cancelled, " at %d site(s)", report.injected_sites.size());
  }
  std::cout << absl::StrFormat("  %-4s  %-34s %-22s %d run(s)%s, %d failure(s)%s\n",
                               report.met ? "ok" : "FAIL", scenario.name, scenario.expect.str(), report.runs,
                               cancelled, report.failures,
                               report.met && report.failures > 0 ? " (expected)" : "");
  if (report.exhausted && report.enumerated_runs != 0) {
    std::cout << absl::StrFormat("        exhausted: dfs enumerated all %d schedules %s in its turns",
                                 report.enumerated_runs, report.bound)
              << (report.failures == 0 ? "; no run failed\n" : "\n");
  } else if (report.exhausted) {
    std::cout << "        exhausted: "
              << (report.failures == 0
                      ? absl::StrFormat("the property holds for all %d schedules %s", report.runs,
                                        report.bound)
                      : absl::StrFormat("all %d schedules %s were run", report.runs, report.bound))
              << "\n";
  }
  if (!report.bound.empty() && !report.exhausted) {
    std::cout << absl::StrFormat(
        "        not exhausted after %d schedules: the run budget (--seeds) ended the enumeration before "
        "every schedule %s was tried; a larger --seeds finishes it\n",
        report.runs, report.bound);
  }
  if (const RunResult* shown = report.shown_failure()) {
    print_shown_failure(argv0, scenario, flags, run, *shown);
  } else if (!report.met) {
    std::cout << "        expected " << scenario.expect.str() << " but every run passed\n";
  } else if (flags.trace && flags.seeds == 1 && run.choice.exploration != CancelExploration::sweep) {
    print_passing_trace(scenario, flags, run.choice);
  }
}

// --cancel-at K asks for an injection: a K that no run reaches injected
// nothing, and saying nothing would pass for a clean rerun.
absl::Status check_cancel_at(const RunFlags& flags, const Scenario& scenario, const ScenarioReport& report) {
  if (!flags.cancel_at || report.cancel_at_missed == 0) return absl::OkStatus();
  const std::uint64_t most = report.cancel_at_most_points;
  const std::string points = most == 0 ? std::string("no cancellation point")
                                       : absl::StrCat("at most ", most, " (0 to ", most - 1, ")");
  if (report.cancel_at_missed == report.runs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--cancel-at ", *flags.cancel_at, ": no run of ", scenario.name,
        " reached that cancellation point (its runs had ", points, "), so nothing was injected"));
  }
  std::cout << absl::StrFormat(
      "        note: --cancel-at %d lies beyond the points of %d of the %d runs; they "
      "ran without a cancellation\n",
      *flags.cancel_at, report.cancel_at_missed, report.runs);
  return absl::OkStatus();
}

absl::Status write_run_json(const RunFlags& flags, const RunPlan& plan,
                            const std::vector<nlohmann::json>& runs, std::size_t met,
                            const std::optional<RegressionReport>& regressions) {
  const Shard& shard = flags.shard;
  nlohmann::json document = {
      {"strategy", flags.strategy},
      {"cancel", plan.override ? describe_cancel(*plan.override) : "per scenario"},
      {"seeds", {{"first", flags.seed}, {"count", flags.seeds}}},
      {"shard", shard.count > 1 ? nlohmann::json{{"index", shard.index}, {"count", shard.count}}
                                : nlohmann::json(nullptr)},
      {"scenarios", nlohmann::json(runs)},
      {"regressions", regressions ? regressions_json(*regressions) : nlohmann::json(nullptr)},
      {"summary", {{"scenarios", runs.size()}, {"met", met}, {"not_met", runs.size() - met}}},
      // Only what ran before a SIGINT/SIGTERM: scenarios after it are missing.
      {"interrupted", interrupt_signal() != 0}};
  return write_file_atomically(flags.json_path, document.dump(2) + "\n");
}

// One scenario explored and its verdict printed: what the summary needs of it.
ScenarioOutcome explore_and_print(const char* argv0, const Scenario& scenario, const RunFlags& flags,
                                  RunPlan& plan, Progress& progress) {
  ScenarioRun run = explore_one(scenario, flags, plan, progress);
  print_verdict(argv0, scenario, flags, run);
  const ScenarioReport& report = run.report;
  ScenarioOutcome outcome{report_json(report, run.choice),
                          report.met,
                          report.interrupted,
                          report.runs,
                          report.failures,
                          run.shown_repro,
                          0};
  if (absl::Status status = check_cancel_at(flags, scenario, report); !status.ok()) {
    outcome.usage_exit = usage_error("run", status);
  } else if (!run.write_error.empty()) {
    outcome.usage_exit = usage_error("run", absl::UnavailableError(absl::StrCat("--out: ", run.write_error)));
  }
  return outcome;
}

}  // namespace

int command_run(const char* argv0, RunFlags& flags) {
  RunPlan plan;
  plan.argv0 = argv0;
  if (absl::Status status = prepare_run(flags, plan); !status.ok()) return usage_error("run", status);
  print_run_header(flags, plan);
  std::optional<RegressionReport> regressions;
  if (!flags.regressions_dir.empty()) {
    auto replayed = replay_regressions(flags.regressions_dir, plan.selected);
    if (!replayed.ok()) return usage_error("run", replayed.status());
    regressions = std::move(*replayed);
  }
  Progress progress(Progress::mode_for(flags.quiet), std::cerr);
  std::vector<nlohmann::json> runs;  // each scenario's --json entry
  std::vector<SummaryRow> rows;
  std::size_t met = 0;
  bool last_interrupted = false;
  install_interrupt_handlers();
  install_crash_handlers();
  if (plan.repros) set_crash_repro_folder(plan.repros->folder());
  for (const Scenario* scenario : plan.selected) {
    if (interrupt_signal() != 0) break;
    const auto explore = [&] { return explore_and_print(argv0, *scenario, flags, plan, progress); };
    const auto entry_of = [&](const ScenarioReport& report) {
      return report_json(report, cancel_for(*scenario, plan.override));
    };
    ScenarioOutcome outcome = flags.isolate ? run_isolated(*scenario, entry_of, explore) : explore();
    if (outcome.usage_exit != 0) return outcome.usage_exit;
    if (outcome.met) ++met;
    rows.push_back(SummaryRow{scenario->name, scenario->expect.str(), outcome.runs, outcome.failures,
                              outcome.met, outcome.repro});
    runs.push_back(std::move(outcome.entry));
    last_interrupted = outcome.interrupted;
  }
  if (plan.temporary_repros) {
    std::error_code ignored;
    std::filesystem::remove(plan.repros->folder(), ignored);  // only if no failure wrote a repro there
  }
  print_summary_table(rows);
  std::cout << absl::StrFormat("\n%d scenario(s): %d met their expectation, %d did not\n", runs.size(), met,
                               runs.size() - met);
  if (!flags.json_path.empty()) {
    if (absl::Status status = write_run_json(flags, plan, runs, met, regressions); !status.ok())
      return usage_error("run", status);
  }
  if (const int signal = interrupt_signal(); signal != 0) {
    std::cout << absl::StrFormat("interrupted: %d of %d scenario(s) explored%s; exit %d\n", runs.size(),
                                 plan.selected.size(), last_interrupted ? " (the last one in part)" : "",
                                 128 + signal);
    return 128 + signal;
  }
  return verdict_exit_code(met == runs.size() && (!regressions || regressions->not_met() == 0),
                           regressions && regressions->stale() > 0);
}

}  // namespace corosim::cli
