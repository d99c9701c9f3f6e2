// Trace: the events of one run, as small POD records in a buffer reused from
// run to run, plus a 64-bit hash of them.
//
// The hash folds in every event's kind, fiber, argument, value, virtual time
// and location (by base name and line only: SourceLoc::stable_hash), so it is
// the same for the same decision stream on g++ and clang, in any build folder.
// Locations are interned into dense ids in order of first appearance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "corosim/executor/source_loc.h"
#include "corosim/executor/trace_kind.h"

namespace corosim {

inline constexpr std::uint32_t kNoLocation = 0xffffffffu;

// A trace hash as the 16 hex digits reports and JSON show.
std::string hash_hex(std::uint64_t hash);

struct TraceEvent {
  std::uint64_t time_ns;
  std::uint64_t value;
  std::uint32_t fiber;     // kNoFiber for the scheduler itself
  std::uint32_t arg;       // kind-specific: other fiber, object id
  std::uint32_t location;  // into Trace::location(), or kNoLocation
  TraceKind kind;
};

struct TraceLocation {
  SourceLoc where;
  const char* what;  // what is awaited there ("mutex.lock"), or ""
  std::uint64_t stable_hash;
};

class Trace {
 public:
  // Events beyond this many are hashed but not stored (a limit on memory).
  static constexpr std::size_t kEventsMax = 4'000'000;

  void clear() noexcept;
  void add(TraceKind kind, std::uint32_t fiber, std::uint32_t arg, std::uint64_t value, std::uint64_t time_ns,
           const SourceLoc* where, const char* what);
  // An event of a run that records no trace: counted only, so that event
  // indices agree with the same run traced.
  void count() noexcept { ++events_seen_; }

  const std::vector<TraceEvent>& events() const noexcept { return events_; }
  const TraceLocation& location(std::uint32_t id) const { return locations_[id]; }
  std::uint64_t hash() const noexcept { return hash_; }
  std::uint64_t events_seen() const noexcept { return events_seen_; }
  bool truncated() const noexcept { return events_seen_ > events_.size(); }

 private:
  std::uint32_t intern(const SourceLoc& where, const char* what);

  struct SiteKey {
    const char* file;
    std::uint32_t line;
    std::uint32_t column;
    friend bool operator==(const SiteKey&, const SiteKey&) = default;
    template <class H>
    friend H AbslHashValue(H h, const SiteKey& key) {
      return H::combine(std::move(h), key.file, key.line, key.column);
    }
  };

  std::vector<TraceEvent> events_;
  std::vector<TraceLocation> locations_;
  // Lookup only, never iterated: ids come from first appearance, not hashing.
  absl::flat_hash_map<SiteKey, std::uint32_t> location_ids_;
  std::uint64_t hash_ = 0;
  std::uint64_t events_seen_ = 0;
};

}  // namespace corosim
