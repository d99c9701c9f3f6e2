// How a report names what the simulator did at a cancellation point: the
// cancellation that landed, by whose canceller, or the stall that held a
// fiber while time passed and cancelled nothing. `run` prints them under a
// failure, `replay` under its outcome. Internal to cli/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corosim/executor/time_text.h"
#include "corosim/sim/cancel.h"

namespace corosim::cli {

// A cancellation that landed: who cancelled which fiber where.
std::string describe_injection(const CancelInjection& injection);

// Whether a stall whose canceller never acted held its woken fiber while
// virtual time passed: a failure may come from that delay alone.
bool held_across_time(const CancelInjection& injection);
std::string describe_hold(const CancelInjection& injection);

// The lines a failure's report gives its run's injections: "cancelled: ..."
// for each that landed, "held: ..." for each stall that held across time.
std::string injection_lines(const std::vector<CancelInjection>& injections, const std::string& indent);

}  // namespace corosim::cli
