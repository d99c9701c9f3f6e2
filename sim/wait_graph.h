// The wait-for graph of a stuck run: who waits on what, who holds it, and the
// cycles among them. Used by the deadlock and leak reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "corosim/executor/fiber.h"

namespace corosim {

// "fiber 2 (spawned at a.cpp:10) waits at a.cpp:31 on mutex.lock of mutex#1,
// held by fiber 3"
std::string describe_blocked_fiber(const Fiber& fiber);

struct WaitGraphReport {
  std::string message;
  SourceLoc location;  // where the first fiber on a cycle (or the first blocked one) waits
  // The cycle passes through a sub-future its driver does not poll.
  bool futurelock = false;
};

// The buffers of a search, kept by the simulator so that the searches it
// makes while a run goes on allocate nothing once warm. Fibers are named by
// their position in `unfinished`, never indexed by id: ids grow with every
// spawn of a run, and a search sized by them would cost a long run's whole
// history each time.
struct WaitGraphBuffers {
  std::vector<const Fiber*> unfinished;  // the unfinished fibers, in id order
  std::vector<std::uint32_t> parent;     // the BFS tree of the current search
  std::vector<bool> off_cycle;           // on no cycle: skipped by later searches
  std::vector<std::uint32_t> frontier;   // the current search's queue
  std::vector<std::uint32_t> holders;    // one fiber's edges
  std::vector<std::uint32_t> ids;
  std::vector<const Fiber*> cycle;
};

// The alive fibers that have not finished, in id order (the alive list's),
// and where the one with an id stands among them (kNotIndexed: it finished,
// or never was): an index that costs the fibers alive, not every id a run
// has handed out.
void index_unfinished(const Fiber* alive, std::vector<const Fiber*>& unfinished);
inline constexpr std::uint32_t kNotIndexed = ~std::uint32_t{0};
std::uint32_t position_of(const std::vector<const Fiber*>& unfinished, std::uint32_t id);

// alive: the executor's alive list (id order).
WaitGraphReport describe_wait_graph(const Fiber* alive);

// A deadlock among some fibers while others still run: a cycle through one of
// starts (fibers that parked since the last look; sorted here) whose every edge is an
// exclusive hold (WaitTarget::holders_exclusive) between waiting fibers, and
// whose fibers nothing already in motion can cancel (a timeout's timer, a
// race, a token, an injected cancellation — theirs or an owner's). An owner
// that might cancel them some day does not count: the cycle is the bug.
// Costs the unfinished fibers and the cycles' edges, not the run's spawns.
std::optional<WaitGraphReport> find_stuck_cycle(const Fiber* alive, std::vector<std::uint32_t>& starts,
                                                WaitGraphBuffers& buffers);

}  // namespace corosim
