// A fatal signal (SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL) or a sanitizer's
// report in the code under test ends the process; before it does, corosim
// says which run it was in — scenario, seed, strategy, cancellation — and
// prints the rerun line that makes that run again. Internal to cli/.
#pragma once

#include <cstdint>
#include <string>

#include "corosim/sim/cancel.h"
#include "corosim/sim/decision.h"
#include "corosim/sim/simulator.h"

namespace corosim::cli {

// Installs the handlers (and the sanitizers' death callback, when linked in).
void install_crash_handlers();

// Before a scenario's runs: its name and the rerun line up to the seed
// ("corosim run NAME --strategy S ..."), or, for a strategy whose runs cannot
// be rerun from a seed, the sentence that says so (reproducible = false).
void set_crash_scenario(const std::string& name, const std::string& strategy, const std::string& rerun_prefix,
                        bool reproducible);

// --isolate's child: a crash also writes one line to fd for the parent,
// "crash<TAB>SEED<TAB>RUNS_STARTED<TAB>WHAT<TAB>REPRO<TAB>RERUN" (REPRO may be empty).
void set_crash_record_fd(int fd) noexcept;

// --out: where a crash writes the repro of the run in flight
// (SCENARIO-crash-seedN.repro); empty: none is written.
void set_crash_repro_folder(const std::string& folder);

// Before each run (cheap: copies a few numbers and a pointer to the decision
// stream the run records into); after the last, clear.
void set_run_in_flight(std::uint64_t seed, const SimOptions& sim, const DecisionLog& decisions) noexcept;
void clear_run_in_flight() noexcept;

}  // namespace corosim::cli
