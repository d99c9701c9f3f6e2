#include "corosim/cli/exit.h"

#include <iostream>
#include <string>

namespace corosim::cli {

int usage_error(std::string_view command, const absl::Status& status) {
  std::cerr << "corosim " << command << ": " << std::string(status.message()) << "\n";
  return kExitUsage;
}

int verdict_exit_code(bool all_met, bool any_stale) {
  if (!all_met) return kExitNotMet;
  return any_stale ? kExitDiverged : kExitMet;
}

}  // namespace corosim::cli
