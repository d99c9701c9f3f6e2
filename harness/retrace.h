// The lazy trace: an explorer runs with SimOptions::record_trace off, so a
// run records only its decisions; a run that must be shown (a failure) is
// made again from them with the trace on. The re-run is also a determinism
// check: a deterministic program makes the same run from the same decisions,
// so any difference between the two (a decision asked differently, another
// step count, failure or event count) means the code under test read
// something the simulator does not control.
#pragma once

#include <string>

#include "corosim/sim/simulator.h"

namespace corosim {

struct Retraced {
  RunResult run;           // the traced re-run
  std::string difference;  // how it differs from the run it re-makes; empty: the same run
};

// Re-makes `untraced` (a run of `main` under `options`, with or without its
// trace) from its seed and decisions with the trace on; its trace is copied
// into *trace when given.
Retraced retrace(const MainFactory& main, SimOptions options, const RunResult& untraced,
                 Trace* trace = nullptr);

// A nondeterminism failure at `where`: `what` says how two makings of the
// same run differed.
Failure nondeterminism_failure(const std::string& what, const SourceLoc& where);

}  // namespace corosim
