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

}  // namespace corosim::cli
