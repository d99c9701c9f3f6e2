// What memory costs a switch among a million fibers on this machine, two
// ways. One miss alone: loads whose addresses depend on the load before, at
// random over a buffer far larger than the caches. And the floor when the
// misses overlap: a walk that touches what a switch to a fiber picked at
// random must (its queue slot, its record, its frame), with every pick known
// in advance and prefetched far enough ahead. A switch pays the first figure
// for each miss it did not see coming, and no less than the second.
#pragma once

#include <cstddef>

namespace corosim::bench {

// Nanoseconds per load, chasing a single random cycle through `bytes` of
// 64-byte lines.
double dependent_load_ns(std::size_t bytes);

// Nanoseconds per pick among `count` items laid out as the frame pool places
// a fiber's record and frame (side by side, in spawn order): the slot, the
// record and the frame's first line of each pick, each prefetched ahead.
double prefetched_walk_ns(std::size_t count);

}  // namespace corosim::bench
