#include "corosim/cli/exit.h"

#include <iostream>
#include <string>

namespace corosim::cli {

int usage_error(std::string_view command, const absl::Status& status) {
  std::cerr << "corosim " << command << ": " << std::string(status.message()) << "\n";
  return kExitUsage;
}

}  // namespace corosim::cli
