// buggify(): opt-in fault injection for the code under test, FoundationDB
// style. Write the rare path where it belongs:
//
//   if (corosim::buggify()) co_await corosim::sleep_for(5s);  // a slow disk
//   if (corosim::buggify()) throw IoError("injected");        // a failed write
//
// Under the simulator each call site is armed (or not) for the whole run at
// its first call, and an armed site fires at a call with a probability; both
// are recorded decisions, so a failing run's repro replays the same faults
// and minimisation can drop the ones it does not need. On the real-time event
// loop, and outside a run, buggify() is always false.
#pragma once

#include <source_location>

#include "corosim/executor/executor.h"

namespace corosim {

inline bool buggify(std::source_location where = std::source_location::current()) {
  Executor* executor = current_executor();
  return executor != nullptr && executor->buggify(SourceLoc::from(where));
}

}  // namespace corosim
