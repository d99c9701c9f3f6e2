// The wait-for graph of a stuck run: who waits on what, who holds it, and the
// cycles among them. Used by the deadlock and leak reports.
#pragma once

#include <cstdint>
#include <string>

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

// alive: the executor's alive list (id order); ids_end: one past the largest id.
WaitGraphReport describe_wait_graph(const Fiber* alive, std::uint32_t ids_end);

}  // namespace corosim
