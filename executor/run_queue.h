// RunQueue: the executor's ready fibers, oldest first. take(i) removes the
// i-th oldest in O(1) by moving the oldest into its place (so i = 0 is strict
// FIFO and any other choice is still deterministic); remove(f) is O(n) and only
// used when a ready fiber is dropped. No allocation once grown.
//
// A template over the fiber type only so that executor.h can name it before
// Fiber is defined (fiber_schedule pushes on it inline: Executor::plain_queue).
#pragma once

#include <cassert>
#include <cstddef>
#include <memory>

namespace corosim {
struct Fiber;
}

namespace corosim::detail {

template <class FiberType>
class BasicRunQueue {
 public:
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept {
    for (std::size_t i = 0; i < size_; ++i) slots_[(head_ + i) & mask_]->queued = false;
    head_ = size_ = 0;
  }

  // The growing push is a separate call, so that the common one (inline in
  // every wake-up) keeps nothing alive across a call and saves no registers.
  void push(FiberType& fiber) {
    assert(!fiber.queued && "a fiber was queued twice");
    if (size_ == capacity_) [[unlikely]] {
      grow_and_push(fiber);
      return;
    }
    put(fiber);
  }

  FiberType& at(std::size_t index) const noexcept {
    assert(index < size_);
    return *slots_[(head_ + index) & mask_];
  }

  // Where take(index) will look `takes` takes from now (1: the next),
  // should nothing else be taken first: for prefetching.
  FiberType* const* slot_ahead(std::size_t takes, std::size_t index) const noexcept {
    return &slots_[(head_ + takes - 1 + index) & mask_];
  }
  // The fiber in that slot if the slot holds a queued one now, else null (a
  // slot past the queued may be null or name a fiber no longer queued).
  FiberType* queued_ahead(std::size_t takes, std::size_t index) const noexcept {
    return takes - 1 + index < size_ ? *slot_ahead(takes, index) : nullptr;
  }
  FiberType& take(std::size_t index) noexcept {
    assert(index < size_);
    FiberType* chosen = slots_[(head_ + index) & mask_];
    slots_[(head_ + index) & mask_] = slots_[head_];
    head_ = (head_ + 1) & mask_;
    --size_;
    chosen->queued = false;
    return *chosen;
  }

  void remove(FiberType& fiber) noexcept {
    for (std::size_t i = 0; i < size_; ++i) {
      if (slots_[(head_ + i) & mask_] != &fiber) continue;
      for (std::size_t j = i; j + 1 < size_; ++j) {
        slots_[(head_ + j) & mask_] = slots_[(head_ + j + 1) & mask_];
      }
      --size_;
      fiber.queued = false;
      return;
    }
    assert(false && "removed a fiber that was not queued");
  }

 private:
  void put(FiberType& fiber) noexcept {
    fiber.queued = true;
    slots_[(head_ + size_) & mask_] = &fiber;
    ++size_;
  }
  [[gnu::noinline]] void grow_and_push(FiberType& fiber) {
    const std::size_t capacity = capacity_ == 0 ? 64 : capacity_ * 2;
    auto bigger = std::make_unique<FiberType*[]>(capacity);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = slots_[(head_ + i) & mask_];
    slots_ = std::move(bigger);
    capacity_ = capacity;
    mask_ = capacity - 1;
    head_ = 0;
    put(fiber);
  }

  // The capacity and its mask are kept beside the slots: a push and a take
  // read them on every step, and a std::vector would derive them from two
  // pointers each time.
  std::unique_ptr<FiberType*[]> slots_;  // capacity_ of them, a power of two
  std::size_t capacity_ = 0;
  std::size_t mask_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

using RunQueue = BasicRunQueue<Fiber>;

}  // namespace corosim::detail
