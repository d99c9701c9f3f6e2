#include "corosim/executor/source_loc.h"

#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <tuple>

#include "corosim/executor/hash.h"

namespace corosim {

SourceLoc SourceLoc::intern(const char* file, const char* function, std::uint32_t line,
                            std::uint32_t column) {
  // Keyed by the strings' addresses: lookup only, never iterated, so no
  // order depends on them.
  using Key = std::tuple<const char*, const char*, std::uint32_t, std::uint32_t>;
  static std::mutex mutex;
  static std::deque<SourceSite> sites;  // a deque keeps every record where it is
  static std::map<Key, const SourceSite*> known;
  const std::lock_guard<std::mutex> lock(mutex);
  auto [it, inserted] = known.try_emplace(Key{file, function, line, column}, nullptr);
  if (inserted) it->second = &sites.emplace_back(SourceSite{file, function, line, column});
  return custom(*it->second);
}

std::string SourceLoc::str() const {
  if (!known()) return "?";
  return std::string(file()) + ":" + std::to_string(line());
}

const char* SourceLoc::base_name() const noexcept {
  const char* path = file();
  const char* slash = std::strrchr(path, '/');
  return slash == nullptr ? path : slash + 1;
}

std::uint64_t SourceLoc::stable_hash() const noexcept {
  std::uint64_t h = detail::hash_bytes(base_name(), std::strlen(base_name()));
  return detail::hash_mix(h, line());
}

}  // namespace corosim
