#include "corosim/runtime/detail/frame_counted.h"

#include <array>
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

namespace {

#if COROSIM_FRAME_POOL
// Spawning a fiber allocates a frame or two (its Task, and a RootTask around
// a callable or a Task with a value) and frees them when it ends; through
// malloc that cost more than the rest of a spawn and join together. Freed
// frames wait here, per thread and per size class, for the next frame of
// their size, as asio recycles its awaitable frames. The cache is bounded,
// so a run that once had a million fibers does not keep their memory.
//
// The pool is trivially destructible, so reaching it costs no thread-local
// guard: a PoolReaper, made when the thread first caches a frame, frees what
// is cached when the thread ends (after which nothing is cached).
class FramePool {
 public:
  static constexpr std::size_t kGranule = 16;
  static constexpr std::size_t kLargest = 1024;  // larger frames come and go through the heap
  static constexpr std::size_t kCachedMax = std::size_t{1} << 20;

  static std::size_t rounded(std::size_t size) noexcept {
    return (size + kGranule - 1) / kGranule * kGranule;
  }
  static bool pooled(std::size_t size) noexcept { return size != 0 && size <= kLargest; }
  // What a frame of this size holds: its size class's bytes when pooled.
  static std::size_t held(std::size_t size) noexcept { return pooled(size) ? rounded(size) : size; }

  void* take(std::size_t size) {
    if (!pooled(size)) return ::operator new(size);
    Block*& head = free_[rounded(size) / kGranule - 1];
    if (head == nullptr) return ::operator new(rounded(size));
    Block* block = head;
    head = block->next;
    cached_bytes_ -= rounded(size);
    return block;
  }

  // False when the frame is not cached (too large, the cache full, or the
  // thread's reaper not made yet): give_slowly then.
  bool try_give(void* frame, std::size_t size) noexcept {
    if (state_ != State::armed || !pooled(size) || cached_bytes_ + rounded(size) > kCachedMax) [[unlikely]]
      return false;
    Block*& head = free_[rounded(size) / kGranule - 1];
    head = ::new (frame) Block{head};
    cached_bytes_ += rounded(size);
    return true;
  }
  void give_slowly(void* frame, std::size_t size) noexcept;

  // The thread ends: the cached frames go back to the heap, and from now on
  // every frame does.
  void reap() noexcept {
    for (std::size_t i = 0; i < free_.size(); ++i) {
      while (Block* block = free_[i]) {
        free_[i] = block->next;
        ::operator delete(block, (i + 1) * kGranule);
      }
    }
    cached_bytes_ = 0;
    state_ = State::reaped;
  }

  std::size_t cached_bytes() const noexcept { return cached_bytes_; }

 private:
  struct Block {
    Block* next;
  };
  enum class State : std::uint8_t { no_reaper, armed, reaped };
  std::array<Block*, kLargest / kGranule> free_{};
  std::size_t cached_bytes_ = 0;
  State state_ = State::no_reaper;
};

constinit thread_local FramePool frame_pool;

struct PoolReaper {
  PoolReaper() = default;
  PoolReaper(const PoolReaper&) = delete;
  PoolReaper& operator=(const PoolReaper&) = delete;
  ~PoolReaper() { frame_pool.reap(); }
};

[[gnu::noinline]] void FramePool::give_slowly(void* frame, std::size_t size) noexcept {
  if (state_ == State::no_reaper) {
    thread_local PoolReaper reaper;  // made once per thread, here
    state_ = State::armed;
    if (try_give(frame, size)) return;
  }
  ::operator delete(frame, held(size));
}
#endif

}  // namespace

void* FrameCounted::operator new(std::size_t size) {
#if COROSIM_FRAME_POOL
  void* frame = frame_pool.take(size);
  const std::size_t held = FramePool::held(size);
#else
  void* frame = ::operator new(size);
  const std::size_t held = size;
#endif
  ++frames_live();
  frame_bytes_live() += static_cast<std::int64_t>(held);
  return frame;
}

void FrameCounted::operator delete(void* frame, std::size_t size) noexcept {
  --frames_live();
#if COROSIM_FRAME_POOL
  frame_bytes_live() -= static_cast<std::int64_t>(FramePool::held(size));
  if (!frame_pool.try_give(frame, size)) [[unlikely]]
    frame_pool.give_slowly(frame, size);
#else
  frame_bytes_live() -= static_cast<std::int64_t>(size);
  ::operator delete(frame, size);
#endif
}

std::size_t frame_cache_bytes() noexcept {
#if COROSIM_FRAME_POOL
  return frame_pool.cached_bytes();
#else
  return 0;
#endif
}

}  // namespace corosim::detail
