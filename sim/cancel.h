// Injected cancellation: which modes exist, and the plan a run follows.
//
// A cancellation point is a suspension point of a fiber whose canceller can
// act there (executor/fiber.h, Canceller): its owner holds its handle and is
// not awaiting it, another arm of its select can still finish, or it is
// declared externally cancellable. Points are numbered in the order a run
// reaches them; with the same seed and strategy, a run reaches the same
// points in the same order, so "point k" names one place in one schedule.
// docs/cancellation.md explains cancellers and modes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"
#include "corosim/executor/source_loc.h"

namespace corosim {

// prestart is pre-cancelled start: it acts on the k-th external fiber to start
// (not on the k-th point): its stop token is requested before it first runs,
// and its first suspension point completes with Cancelled.
enum class CancelMode : std::uint8_t { drop, stop, prompt, interrupt, prestart };

// Every mode, in the order sweeps try them.
inline const std::vector<CancelMode>& all_cancel_modes() {
  static const std::vector<CancelMode> modes = {CancelMode::drop, CancelMode::stop, CancelMode::prompt,
                                                CancelMode::interrupt, CancelMode::prestart};
  return modes;
}

const char* cancel_mode_name(CancelMode mode) noexcept;
AwaitAction cancel_action(CancelMode mode) noexcept;
// "drop,stop,prompt,interrupt" (any non-empty subset, in any order, no repeats).
absl::StatusOr<std::vector<CancelMode>> parse_cancel_modes(std::string_view text);
std::string cancel_modes_string(const std::vector<CancelMode>& modes);

struct CancelPlan {
  enum class Kind : std::uint8_t {
    none,      // never inject
    at_point,  // inject `mode` at point `point` (prestart: at start `point`)
    random,    // arm sites per run, fire with a probability (decisions)
  };
  Kind kind = Kind::none;
  std::uint64_t point = 0;
  CancelMode mode = CancelMode::drop;
  std::vector<CancelMode> modes;  // random: the modes to choose among
  // random: at most one injection per run, as in a sweep (fuzz runs of a
  // swept scenario), so the code meets the cancellation it was written for.
  bool once = false;

  static CancelPlan at(std::uint64_t point, CancelMode mode) {
    return CancelPlan{Kind::at_point, point, mode, {}, false};
  }
  static CancelPlan random(std::vector<CancelMode> modes) {
    return CancelPlan{Kind::random, 0, CancelMode::drop, std::move(modes), false};
  }
};

// One cancellation a run injected. For the program's own cancellers (owner,
// race, timeout) the simulator stalls the fiber at the point and the
// canceller's own mechanism (a drop) acts, or not: `landed` says whether it
// did. A declared (external) canceller acts at once, in `mode`.
struct CancelInjection {
  std::uint64_t point = 0;  // for prestart: the ordinal of the external fiber's start
  CancelMode mode = CancelMode::drop;
  SourceLoc where;  // the suspension point
  std::uint32_t fiber = 0;
  Canceller canceller = Canceller::external;
  SourceLoc canceller_at;  // the spawn, select or timeout that owns the canceller
  bool landed = true;
  const char* what = "";  // what the fiber awaited there ("channel.recv")
  // A declared canceller outside the fibers (asio's ExternalCanceller, made
  // at `where`): it emits on its own slot, whatever the mode.
  bool outside_fibers = false;
  // A stall that held the fiber once it was woken: from when to when in
  // virtual time (equal when no time passed), for a report of a failure
  // that the holding, not a cancellation, may explain.
  std::uint64_t held_from_ns = 0;
  std::uint64_t held_until_ns = 0;
  // The earliest timer of an arm racing the stalled fiber (a timeout's, a
  // token's deadline, a select arm's sleep) that the stall brought forward
  // to fire at once, at brought_forward_at_ns; 0: none was. A landing then
  // stands for an operation slower than that timer.
  std::uint64_t brought_forward_ns = 0;
  std::uint64_t brought_forward_at_ns = 0;
};

}  // namespace corosim
