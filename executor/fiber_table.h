// FiberTable: the executor's fiber records. Ids are dense and increase in
// spawn order; the alive list is kept in id order, so reports and teardown
// visit fibers deterministically. A retired record is reused only in a later
// step than the one that retired it, because the code that retires a fiber may
// still be on that fiber's call stack: the executor calls begin_step() as each
// step begins, which frees the records retired before it (one test when there
// are none, with no work at the end of the step).
//
// Records are carved, in spawn order, from chunks the table owns, and a freed
// record goes on a free list. Between runs, when every record is free, the
// table carves from the first chunk again and gives back the chunks the run
// did not reach (beyond a few). So no record goes through malloc: freeing a
// million records one by one cost a W7 run more than its picks (glibc
// coalesces each with its neighbours, at random addresses), and a run's
// records lie side by side in the order they are spawned (docs/performance.md,
// "Records and frames in chunks").
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "corosim/executor/assert.h"
#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"

// Under AddressSanitizer a free record is poisoned (all but its link), so a
// record read after its fiber was freed is reported, as a deleted one was.
#if defined(__SANITIZE_ADDRESS__)
#define COROSIM_POISON_RECORDS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COROSIM_POISON_RECORDS 1
#endif
#endif
#ifdef COROSIM_POISON_RECORDS
#include <sanitizer/asan_interface.h>
#endif

namespace corosim::detail {

class FiberTable {
 public:
  FiberTable() = default;
  FiberTable(const FiberTable&) = delete;
  FiberTable& operator=(const FiberTable&) = delete;
  ~FiberTable() { clear(); }

  void begin_step() noexcept {
    if (retired_ != nullptr) recycle_retired();
  }

  Fiber& create(Executor& executor, const SourceLoc& spawned_at) {
    void* storage = free_;
    if (storage != nullptr) {
      free_ = free_->next;
    } else if (cursor_ != limit_) {
      storage = cursor_;
      cursor_ += sizeof(Fiber);
    } else {
      storage = next_chunk();
    }
#ifdef COROSIM_POISON_RECORDS
    ASAN_UNPOISON_MEMORY_REGION(storage, sizeof(Fiber));  // free, or free before the last clear()
#endif
    // Default-initialised: every member has an initialiser
    // (tests/executor/fiber_layout_test.cpp checks), and value-initialisation
    // would first zero the whole record (a `rep stos`) and then write the
    // initialisers over it.
    Fiber* fiber = ::new (storage) Fiber;
    fiber->executor = &executor;
    fiber->id = next_id_++;
    fiber->spawned_at = spawned_at;
    fiber->alive_prev = alive_tail_;
    (alive_tail_ != nullptr ? alive_tail_->alive_next : alive_head_) = fiber;
    alive_tail_ = fiber;
    ++alive_count_;
    return *fiber;
  }

  void retire(Fiber& fiber) {
    (fiber.alive_prev != nullptr ? fiber.alive_prev->alive_next : alive_head_) = fiber.alive_next;
    (fiber.alive_next != nullptr ? fiber.alive_next->alive_prev : alive_tail_) = fiber.alive_prev;
    fiber.alive_next = nullptr;
    --alive_count_;
    push(retired_, fiber);
  }
  Fiber* first_alive() const noexcept { return alive_head_; }
  // The alive fiber with this id, or null (a linear walk: for reports).
  Fiber* find_alive(std::uint32_t id) const noexcept {
    for (Fiber* fiber = alive_head_; fiber != nullptr; fiber = fiber->alive_next) {
      if (fiber->id == id) return fiber;
    }
    return nullptr;
  }

  // Drops every fiber that has not ended, newest first, as a scope unwinds:
  // a fiber may refer to the locals of the one that spawned it (main's above
  // all), so the spawner's frame goes after it. Destructors may wake or drop
  // others, so the list is rescanned from the back each time. Called between
  // steps, when no fiber runs (so no drop is deferred). A closing fiber ends
  // when its cleanup fibers (newer, so dropped first) are gone.
  void drop_unfinished() {
    for (;;) {
      Fiber* fiber = alive_tail_;
      while (fiber != nullptr && (fiber->state == FiberState::done || fiber->closing)) {
        fiber = fiber->alive_prev;
      }
      if (fiber == nullptr) return;
      assert(fiber->state != FiberState::running);
      fiber_drop(*fiber);
    }
  }
  std::size_t alive_count() const noexcept { return alive_count_; }
  // Records the chunks hold, live or free.
  std::size_t capacity() const noexcept { return chunks_.size() * kChunkRecords; }
  std::uint32_t spawned() const noexcept { return next_id_; }

  // Forgets every record (the frames must already be destroyed), between
  // runs: no code of a fiber is on the stack, so every record is free. The
  // next run's records are carved from the first chunk again, and the
  // chunks beyond both kKeptChunks and what this run reached go back to the
  // heap: a run that once had a million fibers does not keep their records
  // past the next run that needs fewer, while runs of that size reuse them.
  void clear() {
    while (alive_head_ != nullptr) retire(*alive_head_);
    recycle_retired();
    next_id_ = 0;
    free_ = nullptr;
    cursor_ = limit_ = nullptr;
    if (chunks_.size() > std::max(kKeptChunks, chunks_reached_))
      chunks_.resize(std::max(kKeptChunks, chunks_reached_));
    chunks_reached_ = 0;
  }

 private:
  // 256 records (50 KiB) a chunk: under malloc's mmap threshold, and few
  // enough that a table with a handful of fibers costs little.
  static constexpr std::size_t kChunkRecords = 256;
  // Kept between runs, so runs of up to 4,096 fibers allocate nothing.
  static constexpr std::size_t kKeptChunks = 16;
  struct Chunk {
    alignas(Fiber) std::byte bytes[kChunkRecords * sizeof(Fiber)];
  };
  // A free record's storage (its Fiber destroyed).
  struct FreeRecord {
    FreeRecord* next;
  };
  static_assert(sizeof(FreeRecord) <= sizeof(Fiber) && alignof(FreeRecord) <= alignof(Fiber));

  // The retired list is linked through alive_prev, which a record off the
  // alive list no longer needs (alive_next stays null, so a walk of the
  // alive list that holds a retired record stops there).
  static void push(Fiber*& head, Fiber& fiber) noexcept {
    fiber.alive_prev = head;
    head = &fiber;
  }
  static Fiber* pop(Fiber*& head) noexcept {
    Fiber* fiber = head;
    if (fiber != nullptr) head = std::exchange(fiber->alive_prev, nullptr);
    return fiber;
  }

  // The first record of the next chunk, kept from an earlier run or new;
  // the rest of it is carved from cursor_ on.
  void* next_chunk() {
    if (chunks_reached_ == chunks_.size()) chunks_.push_back(std::make_unique_for_overwrite<Chunk>());
    std::byte* records = chunks_[chunks_reached_++]->bytes;
    cursor_ = records + sizeof(Fiber);
    limit_ = records + sizeof(Chunk);
    return records;
  }

  // The records retired in an earlier step are destroyed (a cold record they
  // own goes with them) and join the free ones.
  void recycle_retired() {
    while (Fiber* fiber = pop(retired_)) {
      std::destroy_at(fiber);
      free_ = ::new (static_cast<void*>(fiber)) FreeRecord{free_};
#ifdef COROSIM_POISON_RECORDS
      ASAN_POISON_MEMORY_REGION(reinterpret_cast<std::byte*>(free_) + sizeof(FreeRecord),
                                sizeof(Fiber) - sizeof(FreeRecord));
#endif
    }
  }

  Fiber* alive_head_ = nullptr;
  Fiber* alive_tail_ = nullptr;
  std::size_t alive_count_ = 0;
  std::uint32_t next_id_ = 0;
  Fiber* retired_ = nullptr;  // retired since the step began: not yet free
  FreeRecord* free_ = nullptr;
  // The part of the last chunk reached that no record was carved from yet.
  std::byte* cursor_ = nullptr;
  std::byte* limit_ = nullptr;
  std::size_t chunks_reached_ = 0;  // since the last clear()
  std::vector<std::unique_ptr<Chunk>> chunks_;
};

// A spawn's new record on the executor, traced as spawned by the running
// fiber: no virtual call (Executor::fiber_table). Out of line
// (runtime/fiber_lifecycle.cpp), so that a spawn stays small enough to inline.
Fiber& create_fiber(Executor& executor, const SourceLoc& spawned_at);

// A finished fiber that nothing refers to any more: its record is freed in a
// later step. Only once per fiber.
inline void retire_fiber(Fiber& fiber) {
  COROSIM_ASSERT(fiber.state == FiberState::done && !fiber.handle_alive && !fiber.queued);
  fiber.executor->fiber_table().retire(fiber);
}

}  // namespace corosim::detail
