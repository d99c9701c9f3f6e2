// Base for promise types: counts coroutine frames alive on this thread, so a
// run can check that it left none behind (the leak checker), and carves their
// memory from the thread's pool (executor/frame_pool.h).
//
// The pool's common paths (a freed frame of the size class taken, a frame
// carved, or one given back) are inline: a coroutine's ramp then knows its
// frame's size class at compile time, and a spawn and join makes two frames
// and frees them. What reaches the global heap stays out of line
// (executor/frame_pool.cpp): g++ 12 warns (-Wmismatched-new-delete, a false
// positive) when it inlines a class-specific new/delete pair around the
// global ones into a ramp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "corosim/executor/executor.h"
#include "corosim/executor/frame_pool.h"

namespace corosim::detail {

struct FrameCounted {
  static void* operator new(std::size_t size) {
    ++frames_live();
    frame_bytes_live() += static_cast<std::int64_t>(frame_held(size));
    if (void* frame = frame_pool_take(size)) [[likely]]
      return frame;
    return frame_from_heap(size);
  }

  static void operator delete(void* frame, std::size_t size) noexcept {
    --frames_live();
    frame_bytes_live() -= static_cast<std::int64_t>(frame_held(size));
    if (!frame_pool_give(frame, size)) [[unlikely]]
      frame_to_heap(frame, size);
  }
};

}  // namespace corosim::detail
