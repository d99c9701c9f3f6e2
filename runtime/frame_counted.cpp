#include "corosim/runtime/detail/frame_counted.h"

#include <new>

namespace corosim::detail {

namespace {

#if COROSIM_FRAME_POOL
void reap_frame_pool() noexcept {
  FramePool& pool = tls_frame_pool;
  for (std::size_t i = 0; i < pool.free.size(); ++i) {
    while (FramePool::Block* block = pool.free[i]) {
      pool.free[i] = block->next;
      ::operator delete(block, (i + 1) * FramePool::kGranule);
    }
  }
  pool.cached_bytes = 0;
  pool.state = FramePool::State::reaped;
}

// The thread ends: the cached frames go back to the heap, and from now on
// every frame does.
struct PoolReaper {
  PoolReaper() = default;
  PoolReaper(const PoolReaper&) = delete;
  PoolReaper& operator=(const PoolReaper&) = delete;
  ~PoolReaper() { reap_frame_pool(); }
};
#endif

}  // namespace

void* frame_from_heap(std::size_t size) { return ::operator new(frame_held(size)); }

void frame_to_heap(void* frame, std::size_t size) noexcept {
#if COROSIM_FRAME_POOL
  FramePool& pool = tls_frame_pool;
  if (pool.state == FramePool::State::no_reaper) {
    thread_local PoolReaper reaper;  // made once per thread, here
    pool.state = FramePool::State::armed;
    if (frame_pool_give(frame, size)) return;
  }
#endif
  ::operator delete(frame, frame_held(size));
}

}  // namespace corosim::detail
