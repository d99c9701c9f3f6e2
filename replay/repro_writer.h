// ReproWriter: the folder of repro files a run leaves behind (`corosim run
// --out`, explore()'s failures): one file per failure signature, written
// atomically, named scenario-checker-hash.repro so a folder reads at a glance
// and the same failure found twice is written once.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "corosim/replay/repro.h"

namespace corosim {

// Writes repros into a folder, one per failure signature (atomically).
class ReproWriter {
 public:
  explicit ReproWriter(std::string folder) : folder_(std::move(folder)) {}
  // Creates the folder if needed.
  absl::Status prepare() const;
  // The path written, or the path already written for this signature.
  absl::StatusOr<std::string> write(const Repro& repro);
  const std::string& folder() const noexcept { return folder_; }

 private:
  std::string folder_;
  std::vector<std::pair<std::string, std::string>> written_;  // signature -> path
};

}  // namespace corosim
