#include "scenarios/cli.h"

#include <fnmatch.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
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
#include "replay/trace_text.h"
#include "scenarios/explore.h"
#include "scenarios/registry.h"

namespace corosim {

namespace {

constexpr int kExitMet = 0;
constexpr int kExitNotMet = 1;
constexpr int kExitUsage = 2;

struct RunFlags {
  std::vector<std::string> patterns;
  std::string strategy;
  std::uint64_t seed = 0;
  std::uint64_t seeds = 0;
  std::string json_path;
  std::uint64_t steps_max = SimOptions{}.steps_max;
  std::uint64_t trace_tail = 60;
  bool trace = false;
  bool quiet = false;
};

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
      return absl::NotFoundError(absl::StrCat("unknown scenario '", pattern,
                                              "' (`corosim list` shows the scenarios)"));
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
  return absl::OkStatus();
}

std::string hex(std::uint64_t value) { return absl::StrFormat("%016x", value); }

// Prefixes every line of text (a trailing newline gets no prefix after it).
std::string indent(const std::string& text, const std::string& prefix) {
  std::string out = prefix;
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '\n' && i + 1 < text.size()) out += prefix;
  }
  return out;
}

std::string rerun_command(const char* argv0, const Scenario& scenario, const RunFlags& flags,
                          std::uint64_t seed) {
  return absl::StrCat(argv0, " run ", scenario.name, " --strategy ", flags.strategy, " --seed ",
                      seed, " --trace");
}

nlohmann::json failure_json(const RunResult& run) {
  const Failure& failure = *run.failure;
  return {{"seed", run.seed},
          {"checker", failure.checker},
          {"message", failure.message},
          {"location", failure.location.str()},
          {"step", failure.step},
          {"time_ns", failure.time_ns},
          {"trace_hash", hex(run.trace_hash)}};
}

nlohmann::json report_json(const ScenarioReport& report) {
  return {{"name", report.scenario->name},
          {"expect", report.scenario->expect.str()},
          {"outcome", report.outcome()},
          {"met", report.met},
          {"runs", report.runs},
          {"failures", report.failures},
          {"first_failure", report.first_failure ? failure_json(*report.first_failure) : nullptr},
          {"first_unexpected",
           report.first_unexpected ? failure_json(*report.first_unexpected) : nullptr},
          {"trace_hash", hex(report.trace_hash)}};
}

void print_trace_of(const Scenario& scenario, const RunFlags& flags, std::uint64_t seed) {
  auto strategy = make_strategy(flags.strategy);
  SimOptions options;
  options.steps_max = flags.steps_max;
  Simulator simulator(**strategy, options);
  RunResult run = simulator.run(scenario.body, seed);
  std::cout << "\n  trace of " << scenario.name << " seed " << seed << " (" << run.steps
            << " steps, hash " << hex(run.trace_hash) << "):\n";
  std::ostringstream text;
  print_trace_text(simulator.trace(), text, TextTraceOptions{flags.trace_tail});
  std::cout << indent(text.str(), "    ");
}

// One line of progress on a terminal, redrawn at most ten times a second.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) != 0) {}
  void update(const std::string& scenario, std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (done != total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    std::fprintf(stderr, "\r\033[K  %s: %llu/%llu runs", scenario.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
  }
  void clear() {
    if (enabled_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

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
  }
  std::ofstream json_file;
  if (!flags.json_path.empty()) {
    json_file.open(flags.json_path);
    if (!json_file) {
      std::cerr << "corosim run: cannot write --json file '" << flags.json_path << "'\n";
      return kExitUsage;
    }
  }

  std::cout << absl::StrFormat("corosim run: %d scenario(s), strategy %s, seeds %d..%d\n\n",
                               selected->size(), flags.strategy, flags.seed,
                               flags.seed + flags.seeds - 1);
  Progress progress(!flags.quiet);
  std::vector<ScenarioReport> reports;
  std::size_t met = 0;
  for (const Scenario* scenario : *selected) {
    ExploreOptions options;
    options.strategy = flags.strategy;
    options.first_seed = flags.seed;
    options.seed_count = flags.seeds;
    options.sim.steps_max = flags.steps_max;
    options.on_run = [&](std::uint64_t done) { progress.update(scenario->name, done, flags.seeds); };
    ScenarioReport report = explore_scenario(*scenario, options);
    progress.clear();
    if (report.met) ++met;

    std::cout << absl::StrFormat("  %-4s  %-34s %-22s %d run(s), %d failure(s)%s\n",
                                 report.met ? "ok" : "FAIL", scenario->name,
                                 scenario->expect.str(), report.runs, report.failures,
                                 report.met && report.failures > 0 ? " (expected)" : "");
    const std::optional<RunResult>& shown =
        report.first_unexpected ? report.first_unexpected : report.first_failure;
    if (shown) {
      const Failure& failure = *shown->failure;
      std::cout << "        " << (report.first_unexpected ? "unexpected failure" : "first failure")
                << ": seed " << shown->seed << ", " << failure.checker << " at "
                << failure.location.str() << "\n"
                << indent(failure.message, "          ") << "\n"
                << "        rerun: " << rerun_command(argv0, *scenario, flags, shown->seed) << "\n";
      if (flags.trace) print_trace_of(*scenario, flags, shown->seed);
    } else if (!report.met) {
      std::cout << "        expected " << scenario->expect.str() << " but every run passed\n";
    } else if (flags.trace && flags.seeds == 1) {
      print_trace_of(*scenario, flags, flags.seed);
    }
    reports.push_back(std::move(report));
  }
  std::cout << absl::StrFormat("\n%d scenario(s): %d met their expectation, %d did not\n",
                               reports.size(), met, reports.size() - met);

  if (json_file.is_open()) {
    nlohmann::json scenarios = nlohmann::json::array();
    for (const ScenarioReport& report : reports) scenarios.push_back(report_json(report));
    nlohmann::json document = {
        {"strategy", flags.strategy},
        {"seeds", {{"first", flags.seed}, {"count", flags.seeds}}},
        {"scenarios", scenarios},
        {"summary", {{"scenarios", reports.size()}, {"met", met}, {"not_met", reports.size() - met}}}};
    json_file << document.dump(2) << "\n";
    if (!json_file) {
      std::cerr << "corosim run: writing '" << flags.json_path << "' failed\n";
      return kExitUsage;
    }
  }
  return met == reports.size() ? kExitMet : kExitNotMet;
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
  auto* strategy_option = run->add_option("--strategy", flags.strategy,
                                          "Decision strategy: fifo or random (env "
                                          "COROSIM_STRATEGY; default random)");
  run->add_option("--json", flags.json_path, "Write a JSON summary to FILE");
  run->add_option("--steps-max", flags.steps_max, "Scheduler steps allowed per run")
      ->capture_default_str();
  run->add_flag("--trace", flags.trace, "Print the trace of the first failure");
  run->add_option("--trace-tail", flags.trace_tail,
                  "Events of the trace to print, from the end (0: all)")
      ->capture_default_str();
  run->add_flag("--quiet", flags.quiet, "No progress display");

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
