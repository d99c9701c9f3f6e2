#include "corosim/cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/strings/str_format.h"
#include "corosim/cli/exit.h"
#include "corosim/cli/flags.h"
#include "corosim/cli/fuzz_commands.h"
#include "corosim/cli/replay_commands.h"
#include "corosim/cli/run_command.h"
#include "corosim/cli/shards.h"
#include "corosim/executor/did_you_mean.h"
#include "corosim/scenarios/registry.h"

namespace corosim {

namespace {

using cli::kExitMet;
using cli::kExitUsage;

int command_list() {
  for (const Scenario& scenario : ScenarioRegistry::global().all()) {
    std::cout << absl::StrFormat("%-36s %-24s %s\n", scenario.name, scenario.expect.str(),
                                 scenario.where.str());
  }
  return kExitMet;
}

// `run`'s options, into flags; the three options whose presence matters to
// the environment defaults come back.
struct RunOptions {
  CLI::Option* seed = nullptr;
  CLI::Option* seeds = nullptr;
  CLI::Option* strategy = nullptr;
};

// --cancel, --cancel-modes, --cancel-at.
void add_run_cancel_options(CLI::App& run, cli::RunFlags& flags) {
  run.add_option("--cancel", flags.cancel,
                 "Injected cancellation for every selected scenario (default: each scenario's "
                 "own, auto unless it opts out). Only the program's own cancellers act (an owner, "
                 "a select, a timeout, a CancellationToken) and the ones it declares: auto (sweep "
                 "the first seeds' cancellation points, about one run per seed, then random); "
                 "none; sweep (per seed, every cancellation point); random (sites armed per run, "
                 "fired with a probability)");
  run.add_option("--cancel-modes", flags.cancel_modes_text,
                 "Modes to inject where a canceller is declared external (cancellable(), "
                 "externally_cancellable()), comma separated: drop, stop, prompt, interrupt, "
                 "prestart (default: all five); the program's own cancellers act as their "
                 "mechanism does (a drop)");
  run.add_option("--cancel-at", flags.cancel_at,
                 "Inject at this cancellation point only, in the one mode --cancel-modes names "
                 "(reruns one run of a sweep); a point no run reaches is an error")
      ->check(cli::whole_number(0));
}

// --determinism-check, --check-determinism, --out, --regressions, --quiet, --shard.
void add_run_output_options(CLI::App& run, cli::RunFlags& flags) {
  run.add_option("--determinism-check", flags.determinism_check_every,
                 "Run every Nth run twice and compare the traces event by event (0: never, 1: "
                 "every run; a difference fails with the nondeterminism checker)")
      ->check(cli::whole_number(0))
      ->capture_default_str();
  run.add_option("--check-determinism", flags.check_determinism,
                 "Check this fraction of runs for determinism (0 to 1; no value: every run). "
                 "Sets --determinism-check to every 1/FRACTION-th run")
      ->expected(0, 1);
  run.add_option("--out", flags.out_dir,
                 "Write a repro file per distinct failure (scenario, checker, location) into "
                 "DIR (env COROSIM_OUT)")
      ->check(cli::non_empty_path());
  run.add_option("--regressions", flags.regressions_dir,
                 "Replay every *.repro in DIR whose scenario is selected, before exploring: each is "
                 "fixed, reproduced, a new failure or stale (no longer replays), and must meet its "
                 "scenario's expectation (expected to pass: stay fixed; expected to fail: reproduce)")
      ->check(cli::non_empty_path());
  run.add_flag(
      "--isolate", flags.isolate,
      "Explore each scenario in a child process: one whose code crashes (a fatal signal, a "
      "sanitizer report) fails with checker crash, its seed and rerun line, and the others still run");
  run.add_flag("--quiet", flags.quiet,
               "No progress display (on a terminal one line, redrawn; otherwise a line every 10 s)");
  run.add_option("--shard", flags.shard_text,
                 "Run shard I of N (I from 1 to N): every Nth of the selected seeds, starting with the "
                 "Ith, so N machines share one sweep; `corosim merge` combines their --json summaries. "
                 "Without it, a test runner's TEST_TOTAL_SHARDS and TEST_SHARD_INDEX (from 0; Bazel, "
                 "GoogleTest) or JOB_COMPLETION_INDEX (from 0; a Kubernetes Indexed Job) with "
                 "COROSIM_TOTAL_SHARDS choose the shard");
}

RunOptions add_run_command(CLI::App& app, cli::RunFlags& flags) {
  CLI::App* run =
      app.add_subcommand("run",
                         "Explore scenarios under a strategy, one run per seed, and judge each against its "
                         "expectation (exit 0: all met, 1: one did not, 2: usage error, 3: all met but a "
                         "--regressions repro is stale)");
  run->add_option("scenarios", flags.patterns,
                  "Scenario names or globs (default: every scenario but the SCTBench set, sctbench/*)");
  RunOptions given;
  auto* seed_option = run->add_option("--seed", flags.seed, "Run exactly this seed (env COROSIM_SEED)")
                          ->check(cli::whole_number(0));
  auto* seeds_option =
      run->add_option("--seeds", flags.seeds, "Run seeds 0..N-1 (env COROSIM_SEEDS; default 100)")
          ->check(cli::whole_number(1));
  seed_option->excludes(seeds_option);
  auto* seed_start_option =
      run->add_option("--seed-start", flags.seed_start,
                      "Run seeds S..S+N-1 with --seeds N: split a range across machines, or resume one")
          ->check(cli::whole_number(0));
  seed_start_option->excludes(seed_option);
  auto* strategy_option = run->add_option(
      "--strategy", flags.strategy,
      "Decision strategy (env COROSIM_STRATEGY; default pos): fifo; random; pct or pct:DEPTH "
      "(priority-based, default depth 3; pct:DEPTH:STEPS fixes the step count it otherwise learns "
      "from earlier runs, as rerun lines do); dfs or dfs:BOUND (every decision stream within a bound "
      "on deviations from the plainest run — pre-emptions, delays, non-default data, faults, "
      "injections — default 2, cheapest first; stops and reports when exhausted; --seeds caps the "
      "runs); pos (partial-order sampling: re-ranks only steps that race, by what each step "
      "touches); portfolio (random, pct, pos and dfs in turn)");
  run->add_option("--json", flags.json_path, "Write a JSON summary to FILE")->check(cli::non_empty_path());
  run->add_option("--steps-max", flags.steps_max, "Scheduler steps allowed per run")
      ->check(cli::whole_number(1))
      ->capture_default_str();
  run->add_option("--time-max-s", flags.time_max_s,
                  "Virtual time allowed per run, in seconds: a run whose next timer is due later fails with "
                  "'budget' (default a day; at most ten years)")
      ->check(cli::whole_number(1, cli::kTimeMaxSMax))
      ->capture_default_str();
  run->add_option(
         "--timer-jitter-ms", flags.timer_jitter_ms,
         "Fire every sleep and asio timer up to this many ms late (a recorded decision per timer), so "
         "races between timers meet both orders (default 0: on time; at most an hour)")
      ->check(cli::whole_number(0, cli::kTimerJitterMsMax));
  run->add_flag("--trace", flags.trace, "Print the trace of the first failure");
  run->add_option("--trace-tail", flags.trace_tail, "Events of the trace to print, from the end (0: all)")
      ->check(cli::whole_number(0))
      ->capture_default_str();
  add_run_cancel_options(*run, flags);
  add_run_output_options(*run, flags);
  given.seed = seed_option;
  given.seeds = seeds_option;
  given.strategy = strategy_option;
  return given;
}

void add_replay_command(CLI::App& app, cli::ReplayFlags& replay_flags) {
  CLI::App* replay =
      app.add_subcommand("replay",
                         "Replay a repro file exactly, verify its trace hash and print the trace (exit 0: "
                         "the run passed, 1: it failed, 2: usage or malformed file, 3: it diverged from "
                         "the recording)");
  replay->add_option("file", replay_flags.path, "The repro file")->required();
  replay
      ->add_option("--trace", replay_flags.trace_format,
                   "Trace format: text, columns, jsonl, perfetto (Chrome trace JSON)")
      ->capture_default_str();
  replay->add_option("--out", replay_flags.out, "Write the trace to FILE instead of the terminal")
      ->check(cli::non_empty_path());
  replay
      ->add_option("--html", replay_flags.html,
                   "Also write FILE: a self-contained HTML timeline of the run (a lane per fiber, "
                   "suspension points with their source lines on hover, cancellations, the failure, "
                   "wake-up arrows); no network access needed to view it")
      ->check(cli::non_empty_path());
  replay->add_flag("--full", replay_flags.full, "The whole text trace, not its tail");
  replay
      ->add_option("--trace-tail", replay_flags.trace_tail,
                   "Events of each fiber the text trace shows, from the end (0 or --full: all)")
      ->check(cli::whole_number(0))
      ->capture_default_str();
  replay->add_option("--continue", replay_flags.continue_with,
                     "If the run diverges (or outlives the recording), let this strategy make the "
                     "remaining decisions instead of stopping");
}

void add_minimize_command(CLI::App& app, cli::MinimizeFlags& minimize_flags) {
  CLI::App* minimize =
      app.add_subcommand("minimize",
                         "Shrink a repro's decision stream and cancellation point while the same "
                         "failure (checker and location) persists");
  minimize->add_option("file", minimize_flags.path, "The repro file")->required();
  minimize->add_option("--out", minimize_flags.out, "Where to write the result (default: FILE.min.repro)")
      ->check(cli::non_empty_path());
  minimize->add_option("--max-replays", minimize_flags.max_replays, "Replays allowed")
      ->check(cli::whole_number(1))
      ->capture_default_str();
}

void add_import_fuzz_command(CLI::App& app, cli::ImportFuzzFlags& import_flags) {
  CLI::App* import_fuzz =
      app.add_subcommand("import-fuzz",
                         "Run a scenario on a libFuzzer input (such as a crash file of its fuzz target) "
                         "and write the run as a repro (exit 0: the run failed, 1: it passed, 2: usage "
                         "error)");
  import_fuzz->add_option("scenario", import_flags.scenario, "The scenario the input was fuzzed on")
      ->required();
  import_fuzz->add_option("input", import_flags.input, "The fuzz input")->required();
  import_fuzz->add_option("--out", import_flags.out, "Where to write the repro (default: INPUT.repro)")
      ->check(cli::non_empty_path());
}

void add_export_fuzz_command(CLI::App& app, cli::ExportFuzzFlags& export_flags) {
  CLI::App* export_fuzz =
      app.add_subcommand("export-fuzz",
                         "Write the fuzz input that makes a repro's run in its scenario's fuzz target, "
                         "to seed a fuzzer's corpus (exit 0: written, 1: the run has no fuzz form, 2: "
                         "usage or malformed file)");
  export_fuzz->add_option("file", export_flags.path, "The repro file")->required();
  export_fuzz->add_option("--out", export_flags.out, "Where to write the input (default: FILE.fuzz)")
      ->check(cli::non_empty_path());
}

void add_merge_command(CLI::App& app, cli::MergeFlags& merge_flags) {
  CLI::App* merge = app.add_subcommand(
      "merge",
      "Combine the --json summaries of `run --shard I/N` (every shard, once) into one verdict "
      "(exit 0: all met, 1: one did not, 2: usage error or summaries that are not shards of one run, "
      "3: all met but a regression repro is stale)");
  merge->add_option("summaries", merge_flags.inputs, "The shards' --json files")->required();
  merge->add_option("--json", merge_flags.json_path, "Write the merged summary to FILE")
      ->check(cli::non_empty_path());
}

// The first argument that is not a flag must be a command: CLI11 alone would
// say "A subcommand is required" for a misspelt one.
int unknown_command(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return -1;
  const std::string_view given = argv[1];
  std::vector<std::string_view> names;
  std::string listed;
  for (const CLI::App* command : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (command->get_name() == given) return -1;
    names.emplace_back(command->get_name());
    listed += (listed.empty() ? "" : ", ") + command->get_name();
  }
  std::cerr << "corosim: unknown command '" << given << "'" << did_you_mean(given, names)
            << "; the commands are " << listed << " (corosim --help)\n";
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // Line by line into a file or a CI log too, so that what a crash or a kill
  // cuts short is at most the line being written (once, before any output).
  static const bool line_buffered = std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ) == 0;
  (void)line_buffered;
  CLI::App app{"corosim: deterministic simulation and fuzz testing for C++20 coroutines"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  app.set_version_flag("--version", "corosim " COROSIM_VERSION);

  app.add_subcommand("list", "List the registered scenarios: name, expectation, source");

  cli::RunFlags flags;
  const RunOptions given = add_run_command(app, flags);
  cli::ReplayFlags replay_flags;
  add_replay_command(app, replay_flags);
  cli::MinimizeFlags minimize_flags;
  add_minimize_command(app, minimize_flags);
  cli::ImportFuzzFlags import_flags;
  add_import_fuzz_command(app, import_flags);
  cli::ExportFuzzFlags export_flags;
  add_export_fuzz_command(app, export_flags);
  cli::MergeFlags merge_flags;
  add_merge_command(app, merge_flags);

  if (int code = unknown_command(app, argc, argv); code >= 0) return code;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
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
  if (absl::Status status = cli::apply_environment(flags, given.seed->count() > 0, given.seeds->count() > 0,
                                                   given.strategy->count() > 0);
      !status.ok()) {
    return cli::usage_error("run", status);
  }
  return cli::command_run(argv[0], flags);
}

}  // namespace corosim
