#include "corosim/executor/frame_pool.h"

#include <algorithm>
#include <new>
#include <utility>

namespace corosim::detail {

namespace {

#if COROSIM_FRAME_POOL
std::byte* frames_of(FramePool::Chunk* chunk) noexcept {
  return reinterpret_cast<std::byte*>(chunk) + FramePool::kChunkHeader;
}

// Frames are carved from this chunk on.
void carve_from(FramePool& pool, FramePool::Chunk* chunk) noexcept {
  pool.current = chunk;
  pool.cursor = chunk != nullptr ? frames_of(chunk) : nullptr;
  pool.limit = chunk != nullptr ? reinterpret_cast<std::byte*>(chunk) + FramePool::kChunkBytes : nullptr;
}

// Gives the chunks from this one on back to the heap.
void give_back_chunks(FramePool& pool, FramePool::Chunk* chunk) noexcept {
  while (chunk != nullptr) {
    FramePool::Chunk* next = chunk->next;
    ::operator delete(chunk, FramePool::kChunkBytes);
    pool.chunk_bytes -= FramePool::kChunkBytes;
    chunk = next;
  }
}

// The thread ends: its chunks go back to the heap, unless frames still alive
// lie in them; from now on every frame comes from the heap.
void reap_frame_pool() noexcept {
  FramePool& pool = tls_frame_pool;
  pool.state = FramePool::State::reaped;
  pool.free.fill(nullptr);
  carve_from(pool, nullptr);
  if (pool.live_bytes != 0) {
    pool.chunks_abandoned = true;
    return;
  }
  give_back_chunks(pool, std::exchange(pool.chunks, nullptr));
}

struct PoolReaper {
  PoolReaper() = default;
  PoolReaper(const PoolReaper&) = delete;
  PoolReaper& operator=(const PoolReaper&) = delete;
  ~PoolReaper() { reap_frame_pool(); }
};
#endif

}  // namespace

void* frame_from_heap(std::size_t size) {
#if COROSIM_FRAME_POOL
  FramePool& pool = tls_frame_pool;
  if (FramePool::pooled(size) && pool.state != FramePool::State::reaped) {
    if (pool.state == FramePool::State::no_reaper) {
      thread_local PoolReaper reaper;  // made once per thread, here
      pool.state = FramePool::State::armed;
    }
    // The current chunk's rest is too small for this frame: on to the next
    // chunk kept from an earlier run, or a new one.
    FramePool::Chunk* next = pool.current != nullptr ? pool.current->next : pool.chunks;
    if (next == nullptr) {
      next = ::new (::operator new(FramePool::kChunkBytes)) FramePool::Chunk{nullptr};
      (pool.current != nullptr ? pool.current->next : pool.chunks) = next;
      pool.chunk_bytes += FramePool::kChunkBytes;
    }
    carve_from(pool, next);
    ++pool.chunks_reached;
    void* frame = frame_pool_take(size);  // carved from the new chunk's start
    if (frame != nullptr) return frame;
  }
#endif
  return ::operator new(frame_held(size));
}

void frame_to_heap(void* frame, std::size_t size) noexcept {
#if COROSIM_FRAME_POOL
  // Freed after the thread's pool was reaped: it may lie in a chunk left to
  // the frames alive then, so it is not the heap's to take.
  if (FramePool::pooled(size) && tls_frame_pool.chunks_abandoned) return;
#endif
  ::operator delete(frame, frame_held(size));
}

void frame_pool_emptied() noexcept {
#if COROSIM_FRAME_POOL
  // No frame is alive in any chunk: they are carved from the first on again;
  // those beyond both kKeptChunks and what was reached since the pool last
  // emptied go back to the heap.
  FramePool& pool = tls_frame_pool;
  // Within one chunk, frames freed and reused are as near one another as
  // carved ones, and there is nothing to give back: a run of a few fibers
  // costs no more at its end.
  if (pool.chunks_reached <= 1 && pool.chunk_bytes <= FramePool::kKeptChunks * FramePool::kChunkBytes) return;
  const std::size_t keep = std::max(FramePool::kKeptChunks, pool.chunks_reached);
  FramePool::Chunk* last_kept = pool.chunks;
  for (std::size_t kept = 1; kept < keep && last_kept->next != nullptr; ++kept) last_kept = last_kept->next;
  give_back_chunks(pool, std::exchange(last_kept->next, nullptr));
  pool.free.fill(nullptr);
  carve_from(pool, pool.chunks);
  pool.chunks_reached = 1;
#endif
}

}  // namespace corosim::detail
