// What one cache miss costs on this machine: loads whose addresses depend on
// the load before, at random over a buffer far larger than the caches. A
// switch to a fiber picked at random among a million must touch that fiber's
// record and frame, so W7's switch cost at a million fibers cannot fall below
// this, whatever the simulator does.
#pragma once

#include <cstddef>

namespace corosim::bench {

// Nanoseconds per load, chasing a single random cycle through `bytes` of
// 64-byte lines.
double dependent_load_ns(std::size_t bytes);

}  // namespace corosim::bench
