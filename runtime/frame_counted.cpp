#include "corosim/runtime/detail/frame_counted.h"

#include <new>

#include "corosim/executor/executor.h"

namespace corosim::detail {

void* FrameCounted::operator new(std::size_t size) {
  void* frame = ::operator new(size);
  ++frames_live();
  frame_bytes_live() += static_cast<std::int64_t>(size);
  return frame;
}

void FrameCounted::operator delete(void* frame, std::size_t size) noexcept {
  --frames_live();
  frame_bytes_live() -= static_cast<std::int64_t>(size);
  ::operator delete(frame, size);
}

}  // namespace corosim::detail
