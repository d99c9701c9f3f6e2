#include "corosim/sim/trace.h"

#include "corosim/executor/hash.h"

namespace corosim {

std::string hash_hex(std::uint64_t hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (std::size_t i = 16; i-- > 0; hash >>= 4) out[i] = kDigits[hash & 15];
  return out;
}

void Trace::clear() noexcept {
  events_.clear();
  hash_ = detail::kHashSeed;
  events_seen_ = 0;
}

std::uint32_t Trace::intern(const SourceLoc& where, const char* what) {
  const SiteKey key{where.file(), where.line(), where.column()};
  auto [it, inserted] = location_ids_.try_emplace(key, static_cast<std::uint32_t>(locations_.size()));
  if (inserted) locations_.push_back(TraceLocation{where, what, where.stable_hash()});
  return it->second;
}

void Trace::add(TraceKind kind, std::uint32_t fiber, std::uint32_t arg, std::uint64_t value,
                std::uint64_t time_ns, const SourceLoc* where, const char* what) {
  const std::uint32_t location = where != nullptr && where->known() ? intern(*where, what) : kNoLocation;
  std::uint64_t h = detail::hash_mix(
      hash_, (static_cast<std::uint64_t>(kind) << 56) ^ (static_cast<std::uint64_t>(fiber) << 24) ^ arg);
  h = detail::hash_mix(h, value);
  h = detail::hash_mix(h, time_ns);
  if (location != kNoLocation) h = detail::hash_mix(h, locations_[location].stable_hash);
  hash_ = h;
  ++events_seen_;
  if (events_.size() < kEventsMax) {
    events_.push_back(TraceEvent{time_ns, value, fiber, arg, location, kind});
  }
}

}  // namespace corosim
