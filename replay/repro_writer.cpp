#include "corosim/replay/repro_writer.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "corosim/executor/hash.h"
#include "corosim/replay/replay.h"

namespace corosim {

namespace fs = std::filesystem;

absl::Status ReproWriter::prepare() const {
  std::error_code error;
  fs::create_directories(folder_, error);
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot create folder '", folder_, "': ", error.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReproWriter::write(const Repro& repro) {
  const std::string signature = repro.signature();
  for (const auto& [known, path] : written_) {
    if (known == signature) return path;
  }
  std::string name;
  for (char c : repro.scenario + "-" + repro.checker_text()) {
    const bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    name += plain ? c : '_';
  }
  const std::uint64_t hash = detail::hash_bytes(signature.data(), signature.size());
  const std::string path =
      (fs::path(folder_) / absl::StrCat(name, "-", hash_hex(hash).substr(0, 8), ".repro")).string();
  if (absl::Status status = write_file_atomically(path, format_repro(repro)); !status.ok()) return status;
  written_.emplace_back(signature, path);
  return path;
}

}  // namespace corosim
