// Base for promise types: counts coroutine frames alive on this thread, so a
// run can check that it left none behind (the leak checker), and recycles
// their memory through a small per-thread cache (frame_counted.cpp).
//
// Defined out of line: g++ 12 warns (-Wmismatched-new-delete, a false
// positive) when it inlines a class-specific new/delete pair around the global
// ones into a coroutine's ramp.
#pragma once

#include <cstddef>

namespace corosim::detail {

struct FrameCounted {
  static void* operator new(std::size_t size);
  static void operator delete(void* frame, std::size_t size) noexcept;
};

// Bytes of freed frames this thread keeps for reuse: heap memory that is
// neither a live frame nor the executor's (a memory census subtracts it).
std::size_t frame_cache_bytes() noexcept;

}  // namespace corosim::detail
