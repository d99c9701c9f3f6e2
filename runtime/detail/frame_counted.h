// Base for promise types: counts coroutine frames alive on this thread, so a
// run can check that it left none behind (the leak checker).
#pragma once

#include <cstddef>
#include <new>

#include "runtime/executor.h"

namespace corosim::detail {

struct FrameCounted {
  static void* operator new(std::size_t size) {
    void* frame = ::operator new(size);
    ++frames_live();
    return frame;
  }
  static void operator delete(void* frame, std::size_t size) noexcept {
    --frames_live();
    ::operator delete(frame, size);
  }
};

}  // namespace corosim::detail
