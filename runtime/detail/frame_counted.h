// Base for promise types: counts coroutine frames alive on this thread, so a
// run can check that it left none behind (the leak checker), and recycles
// their memory through a small per-thread cache.
//
// The cache's common paths (a frame of a cached size class taken or given
// back) are inline: a coroutine's ramp then knows its frame's size class at
// compile time, and a spawn and join makes two frames and frees them. What
// reaches the global heap stays out of line (frame_counted.cpp): g++ 12 warns
// (-Wmismatched-new-delete, a false positive) when it inlines a
// class-specific new/delete pair around the global ones into a ramp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>

#include "corosim/executor/executor.h"

// Under AddressSanitizer a frame goes straight back to the heap: its
// quarantine is what catches a frame used after its coroutine was destroyed,
// and a recycled block would hide exactly that.
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
// malloc that cost more than the rest of a spawn and join together. Freed
// frames wait here, per thread and per size class, for the next frame of
// their size, as asio recycles its awaitable frames. The cache is bounded,
// so a run that once had a million fibers does not keep their memory.
//
// Trivially destructible, so reaching it costs no thread-local guard: a
// reaper, made when the thread first caches a frame, frees what is cached
// when the thread ends (after which nothing is cached).
struct FramePool {
  static constexpr std::size_t kGranule = 16;
  static constexpr std::size_t kLargest = 1024;  // larger frames come and go through the heap
  static constexpr std::size_t kCachedMax = std::size_t{1} << 20;

  static constexpr std::size_t rounded(std::size_t size) noexcept {
    return (size + kGranule - 1) / kGranule * kGranule;
  }
  static constexpr bool pooled(std::size_t size) noexcept { return size != 0 && size <= kLargest; }
  // What a frame of this size holds: its size class's bytes when pooled.
  static constexpr std::size_t held(std::size_t size) noexcept { return pooled(size) ? rounded(size) : size; }

  struct Block {
    Block* next;
  };
  enum class State : std::uint8_t { no_reaper, armed, reaped };
  std::array<Block*, kLargest / kGranule> free{};
  std::size_t cached_bytes = 0;
  State state = State::no_reaper;

  // The cached frames of a pooled size's class.
  Block*& head(std::size_t size) noexcept { return free[rounded(size) / kGranule - 1]; }
};

inline constinit thread_local FramePool tls_frame_pool;

// What a frame of this size holds (the bytes frame_bytes_live counts).
constexpr std::size_t frame_held(std::size_t size) noexcept {
  return COROSIM_FRAME_POOL ? FramePool::held(size) : size;
}

// The paths through the global heap: a size class with nothing cached, a
// frame too large to cache, the cache full or its reaper not made yet.
void* frame_from_heap(std::size_t size);
void frame_to_heap(void* frame, std::size_t size) noexcept;

// Caches a freed frame; false when it must go to the heap instead.
inline bool frame_pool_give(void* frame, std::size_t size) noexcept {
#if COROSIM_FRAME_POOL
  FramePool& pool = tls_frame_pool;
  if (pool.state == FramePool::State::armed && FramePool::pooled(size) &&
      pool.cached_bytes + FramePool::rounded(size) <= FramePool::kCachedMax) [[likely]] {
    FramePool::Block*& head = pool.head(size);
    head = ::new (frame) FramePool::Block{head};
    pool.cached_bytes += FramePool::rounded(size);
    return true;
  }
#else
  (void)frame;
  (void)size;
#endif
  return false;
}

// A cached frame of this size's class, or null when there is none.
inline void* frame_pool_take(std::size_t size) noexcept {
#if COROSIM_FRAME_POOL
  if (!FramePool::pooled(size)) return nullptr;
  FramePool& pool = tls_frame_pool;
  FramePool::Block*& head = pool.head(size);
  FramePool::Block* block = head;
  if (block == nullptr) return nullptr;
  head = block->next;
  pool.cached_bytes -= FramePool::rounded(size);
  return block;
#else
  (void)size;
  return nullptr;
#endif
}

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

// Bytes of freed frames this thread keeps for reuse: heap memory that is
// neither a live frame nor the executor's (a memory census subtracts it).
inline std::size_t frame_cache_bytes() noexcept { return tls_frame_pool.cached_bytes; }

}  // namespace corosim::detail
