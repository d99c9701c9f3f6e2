// FramePool: this thread's pool of coroutine frames (runtime/detail/
// frame_counted.h) and of the fiber records carved beside them
// (executor/fiber_table.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>

#include "corosim/executor/executor.h"

// Under AddressSanitizer a frame or record goes straight back to the heap: its
// quarantine is what catches a frame used after its coroutine was destroyed
// (or a record after its fiber was freed), and a recycled block would hide
// exactly that.
#if defined(__SANITIZE_ADDRESS__)
#define COROSIM_FRAME_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COROSIM_FRAME_POOL 0
#endif
#endif
#ifndef COROSIM_FRAME_POOL
#define COROSIM_FRAME_POOL 1
#endif

namespace corosim::detail {

// Spawning a fiber allocates a frame or two (its Task, and a RootTask around
// a callable or a Task with a value) and frees them when it ends; through
// malloc that cost more than the rest of a spawn and join together. So frames
// of up to kLargest bytes are carved, in the order they are made, from 64 KiB
// chunks this thread's pool owns, and a freed frame waits on its size class's
// list for the next frame of its size, as asio recycles its awaitable frames.
// When the last of them is freed (a run's end: every frame and record is
// gone) and more than one chunk was reached, the pool carves from its first
// chunk again, so the next run's frames lie side by side in spawn order, and
// it gives back the chunks this run did not reach beyond its first mebibyte:
// a run that once had a million fibers does not keep their memory past the
// next run that needs less, while runs of that size reuse it (rather than
// fault fresh pages in each time). Freeing a million frames one by one to
// malloc cost W7 a fifth of its time: glibc coalesces each with its
// neighbours, at random addresses.
//
// A fiber's record is carved from the same pool, right after its root frame
// (the spawned Task's frame is made just before the spawn): a pick among a
// million fibers then finds its record and frame on one page, one address
// translation instead of two (docs/performance.md, "A fiber's record beside
// its frame"). Records count in live_bytes, not as frames.
//
// A frame or record must be freed on the thread that made it, as every one
// in a simulation is.
//
// Trivially destructible, so reaching it costs no thread-local guard: a
// reaper, made when the thread first carves a frame, gives the chunks back
// when the thread ends (after which frames come from the heap).
struct FramePool {
  static constexpr std::size_t kGranule = 16;
  static constexpr std::size_t kLargest = 1024;  // larger frames come and go through the heap
  static constexpr std::size_t kChunkBytes = std::size_t{64} << 10;
  static constexpr std::size_t kKeptChunks = 16;  // a mebibyte, kept when every frame is freed

  static constexpr std::size_t rounded(std::size_t size) noexcept {
    return (size + kGranule - 1) / kGranule * kGranule;
  }
  static constexpr bool pooled(std::size_t size) noexcept { return size != 0 && size <= kLargest; }
  // What a frame of this size holds: its size class's bytes when pooled.
  static constexpr std::size_t held(std::size_t size) noexcept { return pooled(size) ? rounded(size) : size; }

  struct Block {
    Block* next;
  };
  // A chunk's first granule: the link to the next chunk; frames follow.
  struct Chunk {
    Chunk* next;
  };
  static constexpr std::size_t kChunkHeader = kGranule;

  enum class State : std::uint8_t { no_reaper, armed, reaped };
  std::array<Block*, kLargest / kGranule> free{};
  // The part of the current chunk not carved yet.
  std::byte* cursor = nullptr;
  std::byte* limit = nullptr;
  Chunk* chunks = nullptr;         // every chunk, in the order they were made
  Chunk* current = nullptr;        // the one being carved
  std::size_t chunks_reached = 0;  // chunks carved from since the pool last emptied
  std::size_t chunk_bytes = 0;     // heap the chunks hold
  std::size_t live_bytes = 0;      // of which frames and records alive now hold
  State state = State::no_reaper;
  // Chunks left to the frames alive when the thread ended: a pooled frame
  // freed after that may be in one, so none goes back to the heap.
  bool chunks_abandoned = false;

  // The freed frames of a pooled size's class.
  Block*& head(std::size_t size) noexcept { return free[rounded(size) / kGranule - 1]; }
};

inline constinit thread_local FramePool tls_frame_pool;

// What a frame of this size holds (the bytes frame_bytes_live counts).
constexpr std::size_t frame_held(std::size_t size) noexcept {
  return COROSIM_FRAME_POOL ? FramePool::held(size) : size;
}

// The paths out of line: a frame carved from a new chunk or from the heap;
// a frame too large to pool, or freed after the thread's pool was reaped,
// given back to the heap; the pool emptied.
void* frame_from_heap(std::size_t size);
void frame_to_heap(void* frame, std::size_t size) noexcept;
void frame_pool_emptied() noexcept;

// Takes back a freed frame; false when it must go to the heap instead.
inline bool frame_pool_give(void* frame, std::size_t size) noexcept {
#if COROSIM_FRAME_POOL
  FramePool& pool = tls_frame_pool;
  if (pool.state == FramePool::State::armed && FramePool::pooled(size)) [[likely]] {
    FramePool::Block*& head = pool.head(size);
    head = ::new (frame) FramePool::Block{head};
    pool.live_bytes -= FramePool::rounded(size);
    if (pool.live_bytes == 0) [[unlikely]]
      frame_pool_emptied();
    return true;
  }
#else
  (void)frame;
  (void)size;
#endif
  return false;
}

// A freed frame of this size's class, or one carved from the current chunk;
// null when neither is at hand.
inline void* frame_pool_take(std::size_t size) noexcept {
#if COROSIM_FRAME_POOL
  if (!FramePool::pooled(size)) return nullptr;
  FramePool& pool = tls_frame_pool;
  const std::size_t bytes = FramePool::rounded(size);
  FramePool::Block*& head = pool.head(size);
  void* frame = head;
  if (frame != nullptr) {
    head = head->next;
  } else if (static_cast<std::size_t>(pool.limit - pool.cursor) >= bytes) {
    frame = pool.cursor;
    pool.cursor += bytes;
  } else {
    return nullptr;
  }
  pool.live_bytes += bytes;
  return frame;
#else
  (void)size;
  return nullptr;
#endif
}

// Bytes this thread's pool holds beyond its live frames and records (freed
// blocks and chunks not carved yet): heap memory that is neither a live frame
// nor the executor's (a memory census subtracts it).
inline std::size_t frame_cache_bytes() noexcept {
  return tls_frame_pool.chunk_bytes - tls_frame_pool.live_bytes;
}

}  // namespace corosim::detail
