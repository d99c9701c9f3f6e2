// Ring<T>: the FIFO buffer of the channels. A circular array whose capacity
// doubles when full and never shrinks: a channel's steady traffic allocates
// nothing, and a send plus a receive is an index step each way. std::deque,
// which it replaces, spent more on its block bookkeeping than the W2 round
// trip spent on anything but the scheduler (docs/performance.md), and
// allocated a block for every channel created, used or not.
#pragma once

#include <cassert>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace corosim::detail {

template <class T>
class Ring {
 public:
  Ring() noexcept = default;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring() {
    while (size_ > 0) pop_front();
    if (slots_ != nullptr) std::allocator<T>().deallocate(slots_, capacity_);
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  T& front() noexcept {
    assert(size_ > 0);
    return slots_[head_];
  }
  template <class U>
  void push_back(U&& value) {
    if (size_ == capacity_) grow();
    ::new (static_cast<void*>(slots_ + index(size_))) T(std::forward<U>(value));
    ++size_;
  }
  template <class U>
  void push_front(U&& value) {
    if (size_ == capacity_) grow();
    const std::size_t before = (head_ + capacity_ - 1) & (capacity_ - 1);
    ::new (static_cast<void*>(slots_ + before)) T(std::forward<U>(value));
    head_ = before;
    ++size_;
  }
  void pop_front() noexcept {
    assert(size_ > 0);
    std::destroy_at(slots_ + head_);
    head_ = index(1);
    --size_;
  }

 private:
  static constexpr std::size_t kFirstCapacity = 4;  // a power of two, as every capacity

  std::size_t index(std::size_t offset) const noexcept { return (head_ + offset) & (capacity_ - 1); }

  // Moves the items, oldest first, to the front of an array twice the size.
  // If a move throws, the new array's items are destroyed and the ring is
  // left as it was (moves that can throw copy instead, as std::vector does).
  void grow() {
    const std::size_t capacity = capacity_ == 0 ? kFirstCapacity : capacity_ * 2;
    T* slots = std::allocator<T>().allocate(capacity);
    std::size_t moved = 0;
    try {
      for (; moved < size_; ++moved) {
        ::new (static_cast<void*>(slots + moved)) T(std::move_if_noexcept(slots_[index(moved)]));
      }
    } catch (...) {
      std::destroy(slots, slots + moved);
      std::allocator<T>().deallocate(slots, capacity);
      throw;
    }
    for (std::size_t i = 0; i < size_; ++i) std::destroy_at(slots_ + index(i));
    if (slots_ != nullptr) std::allocator<T>().deallocate(slots_, capacity_);
    slots_ = slots;
    capacity_ = capacity;
    head_ = 0;
  }

  T* slots_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace corosim::detail
