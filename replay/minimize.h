// Schedule shrinking: the smallest decision stream (and earliest cancellation
// point) that still fails with the same signature.
//
// Candidates are replayed leniently (sim/strategy/replay.h): a recorded value
// is taken modulo the choices asked for, and past the end every decision is 0
// — the oldest ready fiber, no forced suspension, the first timer — so a
// candidate never diverges, it just becomes a plainer schedule. A candidate
// that keeps the failure's checker and location is kept, as the exact stream
// its run recorded, so the result replays strictly. Passes, each until
// nothing improves or the replay budget is spent: an earlier cancellation
// point; the shortest prefix; dropping chunks (delta debugging, halving the
// chunk size); zeroing chunks (fewer preemptions and forced suspensions).
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "corosim/replay/repro.h"
#include "corosim/sim/simulator.h"

namespace corosim {

struct MinimizeResult {
  Repro repro;  // the smallest found; replays strictly
  std::size_t decisions_before = 0;
  std::size_t decisions_after = 0;
  std::size_t nonzero_before = 0;  // decisions that were not the plainest choice
  std::size_t nonzero_after = 0;
  std::uint64_t replays = 0;
};

// The repro must reproduce its own failure (strictly) on body; otherwise a
// FailedPrecondition error says what happened instead.
// At most max_replays replays in all, the strict check of the repro included.
absl::StatusOr<MinimizeResult> minimize_repro(const Repro& repro, const MainFactory& body,
                                              std::uint64_t max_replays = 2000);

}  // namespace corosim
