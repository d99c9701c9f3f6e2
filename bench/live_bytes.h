// Live heap bytes, counted by this binary's replacement of the global
// operator new and delete (bench/live_bytes.cpp) while tracking is on: W7's
// memory per live fiber. Off, the count costs one branch per allocation.
#pragma once

#include <cstdint>

namespace corosim::bench {

void track_live_bytes(bool on) noexcept;
// Bytes allocated minus bytes freed while tracking was on (malloc's usable
// sizes). A difference of two readings is the change in live heap memory.
std::int64_t live_bytes() noexcept;

}  // namespace corosim::bench
