#include "corosim/executor/source_loc.h"

#include <cstring>

#include "corosim/executor/hash.h"

namespace corosim {

std::string SourceLoc::str() const {
  if (!known()) return "?";
  return std::string(file) + ":" + std::to_string(line);
}

const char* SourceLoc::base_name() const noexcept {
  const char* slash = std::strrchr(file, '/');
  return slash == nullptr ? file : slash + 1;
}

std::uint64_t SourceLoc::stable_hash() const noexcept {
  std::uint64_t h = detail::hash_bytes(base_name(), std::strlen(base_name()));
  return detail::hash_mix(h, line);
}

}  // namespace corosim
