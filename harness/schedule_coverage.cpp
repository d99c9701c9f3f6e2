#include "corosim/harness/schedule_coverage.h"

#include <algorithm>

#include "corosim/executor/hash.h"

namespace corosim {

namespace {

// Feature families, hashed in so that a switch pair and a cancellation at the
// same sites never share a counter by construction.
enum : std::uint64_t { kSwitch = 1, kCancel = 2 };
// A fiber that has ended is "at" its last site with this folded in, so that
// running next after a finished fiber differs from pre-empting it there.
constexpr std::uint64_t kEnded = 0x656e646564ULL;

void bump(std::span<std::uint8_t> counters, std::uint64_t feature) {
  std::uint8_t& counter = counters[feature % counters.size()];
  if (counter != 255) ++counter;
}

}  // namespace

void ScheduleCoverage::count(const Trace& trace, std::span<std::uint8_t> counters) {
  std::fill(counters.begin(), counters.end(), std::uint8_t{0});
  if (counters.empty()) return;
  site_of_fiber_.clear();
  auto site = [this](std::uint32_t fiber) -> std::uint64_t& {
    if (fiber >= site_of_fiber_.size()) site_of_fiber_.resize(fiber + 1, 0);
    return site_of_fiber_[fiber];
  };
  std::uint32_t running = kNoFiber;
  for (const TraceEvent& event : trace.events()) {
    if (event.fiber == kNoFiber) continue;
    const std::uint64_t where =
        event.location == kNoLocation ? 0 : trace.location(event.location).stable_hash;
    switch (event.kind) {
      case TraceKind::spawn:  // a fiber not yet run is at the line that spawned it
      case TraceKind::suspend:
      case TraceKind::yield: site(event.fiber) = where; break;
      case TraceKind::complete:
      case TraceKind::drop: site(event.fiber) ^= kEnded; break;
      case TraceKind::cancel:
        bump(counters, detail::hash_mix(detail::hash_mix(kCancel, where), event.value));
        break;
      case TraceKind::resume:
        if (running != kNoFiber && running != event.fiber) {
          // Copied out one at a time: site() may grow the table.
          const std::uint64_t from = site(running);
          const std::uint64_t to = site(event.fiber);
          bump(counters, detail::hash_mix(detail::hash_mix(kSwitch, from), to));
        }
        running = event.fiber;
        break;
      default: break;
    }
  }
}

}  // namespace corosim
