// Exit codes of the corosim commands (a contract: scripts branch on them; see
// cli/cli.h) and the one way a command reports an operating error.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace corosim::cli {

constexpr int kExitMet = 0;
constexpr int kExitNotMet = 1;
constexpr int kExitUsage = 2;
constexpr int kExitDiverged = 3;

// Prints "corosim COMMAND: MESSAGE" on stderr and returns kExitUsage: a bad
// flag, an unknown scenario, a malformed or unwritable file.
int usage_error(std::string_view command, const absl::Status& status);

// The verdict of `run` and `merge`: kExitNotMet when a scenario or a
// regression entry did not meet its expectation, else kExitDiverged when a
// regression repro is stale (nothing failed, but the corpus needs
// re-recording), else kExitMet.
int verdict_exit_code(bool all_met, bool any_stale);

}  // namespace corosim::cli
