// `corosim run`: explore the selected scenarios, one run per seed, judge each
// against its expectation, print the verdicts, and write repros (--out) and a
// JSON summary (--json). Internal to cli/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "corosim/cli/shards.h"
#include "corosim/harness/explore.h"
#include "corosim/sim/simulator.h"

namespace corosim::cli {

struct RunFlags {
  std::vector<std::string> patterns;
  std::string strategy;
  std::uint64_t seed = 0;
  std::uint64_t seeds = 0;
  std::optional<std::uint64_t> seed_start;  // --seed-start: the range's first seed
  std::string json_path;
  std::uint64_t steps_max = SimOptions{}.steps_max;
  std::uint64_t time_max_s = SimOptions{}.time_max_ns / 1'000'000'000;
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
  cli::Shard shard;          // from shard_text; 1/1 when not sharded
  bool isolate = false;      // each scenario in a child process (cli/isolate.h)
  std::string shard_source;  // set when a test runner's variables chose the shard
  bool trace = false;
  bool quiet = false;
};

// Environment defaults for runs under another test runner (COROSIM_SEED,
// COROSIM_SEEDS, COROSIM_STRATEGY, COROSIM_OUT), for what the command line
// did not give, and the checks of the flags that depend on each other.
absl::Status apply_environment(RunFlags& flags, bool seed_given, bool seeds_given, bool strategy_given);

// Exit codes: kExitMet, kExitNotMet, kExitUsage (cli/exit.h).
int command_run(const char* argv0, RunFlags& flags);

}  // namespace corosim::cli
