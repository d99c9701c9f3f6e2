// The repro side of the command line: `replay`, `minimize`, and the pieces
// `run` uses to write repros (--out) and load them (--regressions). Internal
// to cli/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "corosim/cli/exit.h"
#include "corosim/replay/repro.h"
#include "corosim/replay/repro_writer.h"
#include "corosim/scenarios/registry.h"

namespace corosim::cli {

struct ReplayFlags {
  std::string path;
  std::string trace_format = "text";
  std::string out;   // the trace goes here instead of stdout
  std::string html;  // a timeline page goes here
  bool full = false;
  std::uint64_t trace_tail = 20;  // per fiber
  std::optional<std::string> continue_with;
};

struct MinimizeFlags {
  std::string path;
  std::string out;  // default: PATH with .min.repro
  std::uint64_t max_replays = 2000;
};

// A repro file, parsed, and its scenario in this binary.
struct LoadedRepro {
  Repro repro;
  const Scenario* scenario = nullptr;
};
// Errors say which file and what is wrong with it.
absl::StatusOr<LoadedRepro> load_repro(const std::string& path);

// The path without its ".repro" suffix, if it has one.
std::string file_stem(const std::string& path);

int command_replay(const char* argv0, const ReplayFlags& flags);
int command_minimize(const char* argv0, const MinimizeFlags& flags);

}  // namespace corosim::cli
