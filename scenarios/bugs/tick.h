// tick(): a suspension point whose operation is already complete. A real
// executor would not switch there, so only a strategy that pre-empts (a forced
// suspension) interleaves at it: the bug benchmark counts the pre-emptions a
// bug needs at these points.
#pragma once

#include "corosim/runtime/event.h"
#include "corosim/runtime/task.h"

namespace corosim::bugs {

inline Task<void> tick() {
  Event open;
  open.set();
  co_await open.wait();
}

}  // namespace corosim::bugs
