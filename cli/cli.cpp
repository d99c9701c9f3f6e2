#include "corosim/cli/cli.h"

#include <fnmatch.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "corosim/replay/trace_text.h"
#include "corosim/replay/replay.h"
#include "corosim/sim/strategy/replay.h"
#include "corosim/cli/fuzz_commands.h"
#include "corosim/cli/replay_commands.h"
#include "corosim/cli/shards.h"
#include "corosim/cli/progress.h"
#include "corosim/harness/explore.h"
#include "corosim/scenarios/registry.h"

namespace corosim {

namespace {

using cli::kExitMet;
using cli::kExitNotMet;
using cli::kExitUsage;

struct RunFlags {
  std::vector<std::string> patterns;
  std::string strategy;
  std::uint64_t seed = 0;
  std::uint64_t seeds = 0;
  std::string json_path;
  std::uint64_t steps_max = SimOptions{}.steps_max;
  std::uint64_t timer_jitter_ms = 0;
  std::uint64_t trace_tail = 60;
  std::optional<std::string> cancel;
  std::optional<std::string> cancel_modes_text;
  std::optional<std::uint64_t> cancel_at;
  std::uint64_t determinism_check_every = ExploreOptions{}.determinism_check_every;
  std::optional<std::string> check_determinism;  // a fraction of runs, "" for all
  std::string out_dir;
  std::string regressions_dir;
  std::optional<std::string> shard_text;
  cli::Shard shard;  // from shard_text; 1/1 when not sharded
  bool trace = false;
  bool quiet = false;
};

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
  auto modes = parse_cancel_modes(
      flags.cancel_modes_text.value_or(cancel_modes_string(all_cancel_modes())));
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
  } else {
    return absl::InvalidArgumentError("unknown --cancel '" + name +
                                      "' (choose one of: none, sweep, random)");
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
    for (const Scenario& scenario : all) selected.push_back(&scenario);
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
      return absl::NotFoundError(absl::StrCat("unknown scenario '", pattern, "'",
                                              ScenarioRegistry::global().suggest(pattern)));
    }
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (taken[i]) selected.push_back(&all[i]);
  }
  return selected;
}

// Environment defaults for runs under another test runner.
absl::Status apply_environment(RunFlags& flags, bool seed_given, bool seeds_given,
                               bool strategy_given) {
  auto number = [](const char* name, std::uint64_t& out) -> absl::Status {
    const char* text = std::getenv(name);
    if (text == nullptr) return absl::OkStatus();
    if (!absl::SimpleAtoi(text, &out)) {
      return absl::InvalidArgumentError(absl::StrCat(name, "='", text, "' is not a whole number"));
    }
    return absl::OkStatus();
  };
  if (!strategy_given) {
    const char* strategy = std::getenv("COROSIM_STRATEGY");
    flags.strategy = strategy != nullptr ? strategy : "random";
  }
  if (!seed_given && !seeds_given) {
    if (absl::Status status = number("COROSIM_SEEDS", flags.seeds); !status.ok()) return status;
    if (std::getenv("COROSIM_SEED") != nullptr) {
      if (absl::Status status = number("COROSIM_SEED", flags.seed); !status.ok()) return status;
      flags.seeds = 1;
    }
    if (flags.seeds == 0) flags.seeds = 100;
  } else if (seed_given) {
    flags.seeds = 1;
  } else {
    flags.seed = 0;
  }
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
  }
  if (flags.check_determinism) {
    // A fraction of runs, checked as every Nth run: 1 is every run, 0 none.
    double fraction = 1.0;
    if (!flags.check_determinism->empty() &&
        (!absl::SimpleAtod(*flags.check_determinism, &fraction) || fraction < 0 || fraction > 1)) {
      return absl::InvalidArgumentError(absl::StrCat("--check-determinism '", *flags.check_determinism,
                                                     "' is not a fraction from 0 to 1"));
    }
    flags.determinism_check_every =
        fraction == 0 ? 0 : static_cast<std::uint64_t>(1.0 / fraction + 0.5);
  }
  return absl::OkStatus();
}

// The exact command that reruns one failing run: its seed and, for a run
// with injected cancellation, its first injection.
std::string rerun_command(const char* argv0, const Scenario& scenario, const RunFlags& flags,
                          const CancelChoice& choice, const RunResult& run) {
  if (auto strategy = make_strategy(flags.strategy); strategy.ok() && (*strategy)->stateful()) {
    return absl::StrCat("(a ", flags.strategy,
                        " run depends on the runs before it, not on its seed: write it with --out DIR "
                        "and run `", argv0, " replay FILE`)");
  }
  std::string command = absl::StrCat(argv0, " run ", scenario.name, " --strategy ",
                                     flags.strategy, " --seed ", run.seed);
  if (flags.timer_jitter_ms != 0) absl::StrAppend(&command, " --timer-jitter-ms ", flags.timer_jitter_ms);
  if (choice.exploration == CancelExploration::random) {
    absl::StrAppend(&command, " --cancel random --cancel-modes ", cancel_modes_string(choice.modes));
  } else if (run.injections.empty()) {
    // A failure without injection (a sweep's reference run): turn off the
    // scenario's own cancellation, if it has one.
    if (scenario.expect.cancel != CancelExploration::none) absl::StrAppend(&command, " --cancel none");
  } else {
    absl::StrAppend(&command, " --cancel-at ", run.injections.front().point, " --cancel-modes ",
                    cancel_mode_name(run.injections.front().mode));
  }
  return command + " --trace";
}

std::string describe_injection(const CancelInjection& injection) {
  if (injection.mode == CancelMode::prestart) {
    return absl::StrCat("prestart of the boundary fiber started ", injection.point, "th (fiber ",
                        injection.fiber, ", spawned at ", injection.where.str(), ")");
  }
  return absl::StrCat(cancel_mode_name(injection.mode), " at cancellation point ", injection.point,
                      " (fiber ", injection.fiber, ", ", injection.where.str(), ")");
}

nlohmann::json failure_json(const RunResult& run) {
  const Failure& failure = *run.failure;
  nlohmann::json json = {{"seed", run.seed},
                         {"checker", failure.checker},
                         {"message", failure.message},
                         {"location", failure.location.str()},
                         {"step", failure.step},
                         {"time_ns", failure.time_ns},
                         {"trace_hash", hash_hex(run.trace_hash)}};
  if (!run.injections.empty()) {
    const CancelInjection& injection = run.injections.front();
    json["cancel_point"] = injection.point;
    json["cancel_mode"] = cancel_mode_name(injection.mode);
    json["cancel_location"] = injection.where.str();
    json["cancel_injections"] = run.injections.size();
  }
  return json;
}

nlohmann::json report_json(const ScenarioReport& report, const CancelChoice& choice) {
  nlohmann::json sites = nlohmann::json::array();
  for (const auto& [where, points] : report.cancel_sites) {
    sites.push_back({{"location", where}, {"points", points}});
  }
  return {{"name", report.scenario->name},
          {"cancel_sites", sites},
          {"expect", report.scenario->expect.str()},
          {"cancel", describe_cancel(choice)},
          {"outcome", report.outcome()},
          {"met", report.met},
          {"runs", report.runs},
          {"failures", report.failures},
          {"cancel_points", report.cancel_points},
          {"determinism_checks", report.determinism_checks},
          {"exhausted", report.exhausted},
          {"bound", report.exhausted ? nlohmann::json(report.bound) : nlohmann::json(nullptr)},
          {"first_failure", report.first_failure ? failure_json(*report.first_failure) : nullptr},
          {"first_unexpected",
           report.first_unexpected ? failure_json(*report.first_unexpected) : nullptr},
          {"trace_hash", hash_hex(report.trace_hash)}};
}

// The simulator options the run flags ask for.
SimOptions sim_options(const RunFlags& flags, const CancelPlan& plan) {
  SimOptions options;
  options.steps_max = flags.steps_max;
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

int command_list() {
  for (const Scenario& scenario : ScenarioRegistry::global().all()) {
    std::cout << absl::StrFormat("%-36s %-24s %s\n", scenario.name, scenario.expect.str(),
                                 scenario.where.str());
  }
  return kExitMet;
}

int command_run(const char* argv0, RunFlags& flags) {
  auto selected = select_scenarios(flags.patterns);
  if (!selected.ok()) {
    std::cerr << "corosim run: " << selected.status().message() << "\n";
    return kExitUsage;
  }
  if (auto strategy = make_strategy(flags.strategy); !strategy.ok()) {
    std::cerr << "corosim run: " << strategy.status().message() << "\n";
    return kExitUsage;
  } else if ((*strategy)->stateful() && flags.shard.count > 1) {
    std::cerr << "corosim run: --shard splits seeds, but a " << flags.strategy
              << " run depends on the runs before it, not on its seed: shard by scenario instead\n";
    return kExitUsage;
  }
  auto override = cancel_override(flags);
  if (!override.ok()) {
    std::cerr << "corosim run: " << override.status().message() << "\n";
    return kExitUsage;
  }
  std::optional<ReproWriter> repros;
  if (!flags.out_dir.empty()) {
    repros.emplace(flags.out_dir);
    if (absl::Status status = repros->prepare(); !status.ok()) {
      std::cerr << "corosim run: --out: " << status.message() << "\n";
      return kExitUsage;
    }
  }
  std::ofstream json_file;
  if (!flags.json_path.empty()) {
    json_file.open(flags.json_path);
    if (!json_file) {
      std::cerr << "corosim run: cannot write --json file '" << flags.json_path << "'\n";
      return kExitUsage;
    }
  }

  const cli::Shard& shard = flags.shard;
  std::cout << absl::StrFormat("corosim run: %d scenario(s), strategy %s, seeds %d..%d%s%s\n\n",
                               selected->size(), flags.strategy, flags.seed,
                               flags.seed + flags.seeds - 1,
                               shard.count > 1
                                   ? absl::StrFormat(", shard %d/%d: seeds %d, %d, ... (%d of them)", shard.index,
                                                     shard.count, flags.seed + shard.index - 1,
                                                     flags.seed + shard.index - 1 + shard.count,
                                                     shard.seeds_of(flags.seeds))
                                   : "",
                               *override ? ", cancel " + describe_cancel(**override) : "");
  std::size_t regressions_not_met = 0;
  if (!flags.regressions_dir.empty()) {
    auto replayed = cli::replay_regressions(flags.regressions_dir, *selected);
    if (!replayed.ok()) {
      std::cerr << "corosim run: " << replayed.status().message() << "\n";
      return kExitUsage;
    }
    regressions_not_met = *replayed;
  }
  cli::Progress progress(cli::Progress::mode_for(flags.quiet), std::cerr);
  std::vector<SummaryRow> rows;
  std::vector<ScenarioReport> reports;
  std::vector<CancelChoice> choices;
  std::size_t met = 0;
  for (const Scenario* scenario : *selected) {
    const CancelChoice choice = cancel_for(*scenario, *override);
    ExploreOptions options;
    options.strategy = flags.strategy;
    options.first_seed = flags.seed + shard.index - 1;
    options.seed_count = shard.seeds_of(flags.seeds);
    options.seed_stride = shard.count;
    options.sim = sim_options(flags, CancelPlan{});
    options.cancel = choice.exploration;
    options.cancel_modes = choice.modes;
    options.cancel_at = choice.at;
    options.determinism_check_every = flags.determinism_check_every;
    const bool runs_known = choice.exploration != CancelExploration::sweep;
    std::uint64_t failures_so_far = 0;
    progress.start(scenario->name, runs_known ? options.seed_count : 0);
    options.on_run = [&](std::uint64_t done) { progress.update(done, failures_so_far); };
    // One repro per failure signature; the first run of each is the one kept.
    std::vector<std::pair<std::string, std::string>> repro_paths;  // failure key -> path
    std::string write_error;
    options.on_failure = [&](const RunResult& failed, const SimOptions& sim) {
      ++failures_so_far;
      if (!repros) return;
      const std::string key = failure_key(failed);
      for (const auto& known : repro_paths) {
        if (known.first == key) return;
      }
      auto path = repros->write(make_repro(scenario->name, flags.strategy, sim, failed));
      if (!path.ok()) {
        if (write_error.empty()) write_error = std::string(path.status().message());
        return;
      }
      repro_paths.emplace_back(key, *path);
    };
    ScenarioReport report = explore_scenario(*scenario, options);
    progress.finish();
    if (report.met) ++met;

    const std::string cancelled =
        choice.exploration == CancelExploration::none
            ? std::string()
            : absl::StrFormat(", %d with cancellation", report.cancel_points);
    std::cout << absl::StrFormat("  %-4s  %-34s %-22s %d run(s)%s, %d failure(s)%s\n",
                                 report.met ? "ok" : "FAIL", scenario->name,
                                 scenario->expect.str(), report.runs, cancelled, report.failures,
                                 report.met && report.failures > 0 ? " (expected)" : "");
    if (report.exhausted) {
      std::cout << "        exhausted: "
                << (report.failures == 0
                        ? absl::StrFormat("the property holds for all %d schedules %s", report.runs, report.bound)
                        : absl::StrFormat("all %d schedules %s were run", report.runs, report.bound))
                << "\n";
    }
    const std::optional<RunResult>& shown =
        report.first_unexpected ? report.first_unexpected : report.first_failure;
    std::string shown_repro;  // its repro file, with --out
    if (shown) {
      for (const auto& [key, path] : repro_paths) {
        if (key == failure_key(*shown)) shown_repro = path;
      }
      const Failure& failure = *shown->failure;
      std::cout << "        " << (report.first_unexpected ? "unexpected failure" : "first failure")
                << ": seed " << shown->seed << ", " << failure.checker << " at "
                << failure.location.str() << "\n"
                << indent(failure.message, "          ") << "\n";
      for (const CancelInjection& injection : shown->injections) {
        std::cout << "          cancelled: " << describe_injection(injection) << "\n";
      }
      std::cout << "        rerun: " << rerun_command(argv0, *scenario, flags, choice, *shown) << "\n";
      if (!shown_repro.empty()) std::cout << "        replay: " << argv0 << " replay " << shown_repro << "\n";
      if (repro_paths.size() > 1) {
        std::cout << "        " << repro_paths.size() << " distinct failures written to " << flags.out_dir << "\n";
      }
      if (flags.trace) {
        print_trace_of(*scenario, flags, shown->seed, plan_of_run(choice.exploration, choice.modes, *shown), shown->decisions);
      }
    } else if (!report.met) {
      std::cout << "        expected " << scenario->expect.str() << " but every run passed\n";
    } else if (flags.trace && flags.seeds == 1 && choice.exploration != CancelExploration::sweep) {
      CancelPlan plan;
      if (choice.exploration == CancelExploration::at) plan = CancelPlan::at(choice.at, choice.modes.front());
      if (choice.exploration == CancelExploration::random) plan = CancelPlan::random(choice.modes);
      auto strategy = make_strategy(flags.strategy);
      Simulator simulator(**strategy, sim_options(flags, plan));
      const RunResult run = simulator.run(scenario->body, flags.seed);
      print_trace_of(*scenario, flags, flags.seed, plan, run.decisions);
    }
    if (!write_error.empty()) {
      std::cerr << "corosim run: --out: " << write_error << "\n";
      return kExitUsage;
    }
    rows.push_back(SummaryRow{scenario->name, scenario->expect.str(), report.runs, report.failures, report.met,
                              std::move(shown_repro)});
    reports.push_back(std::move(report));
    choices.push_back(choice);
  }
  print_summary_table(rows);
  std::cout << absl::StrFormat("\n%d scenario(s): %d met their expectation, %d did not\n",
                               reports.size(), met, reports.size() - met);

  if (json_file.is_open()) {
    nlohmann::json scenarios = nlohmann::json::array();
    for (std::size_t i = 0; i < reports.size(); ++i) {
      scenarios.push_back(report_json(reports[i], choices[i]));
    }
    nlohmann::json document = {
        {"strategy", flags.strategy},
        {"cancel", *override ? describe_cancel(**override) : "per scenario"},
        {"seeds", {{"first", flags.seed}, {"count", flags.seeds}}},
        {"shard", shard.count > 1 ? nlohmann::json{{"index", shard.index}, {"count", shard.count}}
                                  : nlohmann::json(nullptr)},
        {"scenarios", scenarios},
        {"summary", {{"scenarios", reports.size()}, {"met", met}, {"not_met", reports.size() - met}}}};
    json_file << document.dump(2) << "\n";
    if (!json_file) {
      std::cerr << "corosim run: writing '" << flags.json_path << "' failed\n";
      return kExitUsage;
    }
  }
  return met == reports.size() && regressions_not_met == 0 ? kExitMet : kExitNotMet;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"corosim: deterministic simulation and fuzz testing for C++20 coroutines"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");

  app.add_subcommand("list", "List the registered scenarios: name, expectation, source");

  RunFlags flags;
  CLI::App* run = app.add_subcommand(
      "run", "Explore scenarios under a strategy, one run per seed, and judge each against its "
             "expectation (exit 0: all met, 1: one did not, 2: usage error)");
  run->add_option("scenarios", flags.patterns,
                  "Scenario names or globs (default: every scenario)");
  auto* seed_option =
      run->add_option("--seed", flags.seed, "Run exactly this seed (env COROSIM_SEED)");
  auto* seeds_option =
      run->add_option("--seeds", flags.seeds, "Run seeds 0..N-1 (env COROSIM_SEEDS; default 100)");
  seed_option->excludes(seeds_option);
  auto* strategy_option = run->add_option(
      "--strategy", flags.strategy,
      "Decision strategy (env COROSIM_STRATEGY; default random): fifo; random; pct or pct:DEPTH "
      "(priority-based, default depth 3); dfs or dfs:BOUND (every schedule within a preemption "
      "bound, default 2; stops and reports when exhausted; --seeds caps the runs); portfolio "
      "(random, pct and dfs in turn)");
  run->add_option("--json", flags.json_path, "Write a JSON summary to FILE");
  run->add_option("--steps-max", flags.steps_max, "Scheduler steps allowed per run")
      ->capture_default_str();
  run->add_option("--timer-jitter-ms", flags.timer_jitter_ms,
                  "Fire every sleep up to this many ms late (a recorded decision per timer), so "
                  "races between timers meet both orders (default 0: on time)");
  run->add_flag("--trace", flags.trace, "Print the trace of the first failure");
  run->add_option("--trace-tail", flags.trace_tail,
                  "Events of the trace to print, from the end (0: all)")
      ->capture_default_str();
  run->add_option("--cancel", flags.cancel,
                  "Injected cancellation for every selected scenario (default: each scenario's "
                  "own): none; sweep (per seed, every cancellation point in every mode); random "
                  "(sites armed per run, fired with a probability)");
  run->add_option("--cancel-modes", flags.cancel_modes_text,
                  "Modes to inject, comma separated: drop, stop, prompt, interrupt, prestart (default: all five)");
  run->add_option("--cancel-at", flags.cancel_at,
                  "Inject at this cancellation point only, in the one mode --cancel-modes names "
                  "(reruns one run of a sweep)");
  run->add_option("--determinism-check", flags.determinism_check_every,
                  "Run every Nth run twice and compare the traces event by event (0: never, 1: "
                  "every run; a difference fails with the nondeterminism checker)")
      ->capture_default_str();
  run->add_option("--check-determinism", flags.check_determinism,
                  "Check this fraction of runs for determinism (0 to 1; no value: every run). "
                  "Sets --determinism-check to every 1/FRACTION-th run")
      ->expected(0, 1);
  run->add_option("--out", flags.out_dir,
                  "Write a repro file per distinct failure (scenario, checker, location) into "
                  "DIR (env COROSIM_OUT)");
  run->add_option("--regressions", flags.regressions_dir,
                  "Replay every *.repro in DIR whose scenario is selected, before exploring; each "
                  "must meet its scenario's expectation");
  run->add_flag("--quiet", flags.quiet,
                "No progress display (on a terminal one line, redrawn; otherwise a line every 10 s)");
  run->add_option("--shard", flags.shard_text,
                  "Run shard I of N (I from 1 to N): every Nth of the selected seeds, starting with the "
                  "Ith, so N machines share one sweep; `corosim merge` combines their --json summaries");

  cli::ReplayFlags replay_flags;
  CLI::App* replay = app.add_subcommand(
      "replay", "Replay a repro file exactly, verify its trace hash and print the trace (exit 0: "
                "the run passed, 1: it failed, 2: usage or malformed file, 3: it diverged from "
                "the recording)");
  replay->add_option("file", replay_flags.path, "The repro file")->required();
  replay->add_option("--trace", replay_flags.trace_format,
                     "Trace format: text, columns, jsonl, perfetto (Chrome trace JSON)")
      ->capture_default_str();
  replay->add_option("--out", replay_flags.out, "Write the trace to FILE instead of the terminal");
  replay->add_option("--html", replay_flags.html,
                     "Also write FILE: a self-contained HTML timeline of the run (a lane per fiber, "
                     "suspension points with their source lines on hover, cancellations, the failure, "
                     "wake-up arrows); no network access needed to view it");
  replay->add_flag("--full", replay_flags.full, "The whole text trace, not its tail");
  replay->add_option("--trace-tail", replay_flags.trace_tail,
                     "Events of each fiber the text trace shows, from the end (0 or --full: all)")
      ->capture_default_str();
  replay->add_option("--continue", replay_flags.continue_with,
                     "If the run diverges (or outlives the recording), let this strategy make the "
                     "remaining decisions instead of stopping");

  cli::MinimizeFlags minimize_flags;
  CLI::App* minimize = app.add_subcommand(
      "minimize", "Shrink a repro's decision stream and cancellation point while the same "
                  "failure (checker and location) persists");
  minimize->add_option("file", minimize_flags.path, "The repro file")->required();
  minimize->add_option("--out", minimize_flags.out, "Where to write the result (default: FILE.min.repro)");
  minimize->add_option("--max-replays", minimize_flags.max_replays, "Replays allowed")
      ->capture_default_str();

  cli::ImportFuzzFlags import_flags;
  CLI::App* import_fuzz = app.add_subcommand(
      "import-fuzz", "Run a scenario on a libFuzzer input (such as a crash file of its fuzz target) "
                     "and write the run as a repro (exit 0: the run failed, 1: it passed, 2: usage "
                     "error)");
  import_fuzz->add_option("scenario", import_flags.scenario, "The scenario the input was fuzzed on")
      ->required();
  import_fuzz->add_option("input", import_flags.input, "The fuzz input")->required();
  import_fuzz->add_option("--out", import_flags.out, "Where to write the repro (default: INPUT.repro)");

  cli::ExportFuzzFlags export_flags;
  CLI::App* export_fuzz = app.add_subcommand(
      "export-fuzz", "Write the fuzz input that makes a repro's run in its scenario's fuzz target, "
                     "to seed a fuzzer's corpus (exit 0: written, 1: the run has no fuzz form, 2: "
                     "usage or malformed file)");
  export_fuzz->add_option("file", export_flags.path, "The repro file")->required();
  export_fuzz->add_option("--out", export_flags.out, "Where to write the input (default: FILE.fuzz)");

  cli::MergeFlags merge_flags;
  CLI::App* merge = app.add_subcommand(
      "merge", "Combine the --json summaries of `run --shard I/N` (every shard, once) into one verdict "
               "(exit 0: all met, 1: one did not, 2: usage error or summaries that are not shards of one run)");
  merge->add_option("summaries", merge_flags.inputs, "The shards' --json files")->required();
  merge->add_option("--json", merge_flags.json_path, "Write the merged summary to FILE");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  if (app.got_subcommand("list")) return command_list();
  if (app.got_subcommand("replay")) return cli::command_replay(argv[0], replay_flags);
  if (app.got_subcommand("minimize")) return cli::command_minimize(argv[0], minimize_flags);
  if (app.got_subcommand("import-fuzz")) return cli::command_import_fuzz(argv[0], import_flags);
  if (app.got_subcommand("export-fuzz")) return cli::command_export_fuzz(export_flags);
  if (app.got_subcommand("merge")) return cli::command_merge(merge_flags);
  if (absl::Status status = apply_environment(flags, seed_option->count() > 0,
                                              seeds_option->count() > 0,
                                              strategy_option->count() > 0);
      !status.ok()) {
    std::cerr << "corosim run: " << status.message() << "\n";
    return kExitUsage;
  }
  return command_run(argv[0], flags);
}

}  // namespace corosim
