// TimerHeap: armed sleeps ordered by (deadline, arming order). A cancelled
// timer leaves a stale heap entry that is skipped when it surfaces (its slot's
// generation no longer matches), so cancel is O(1) and no node pointer is kept
// past its cancellation.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <functional>
#include <vector>

#include "corosim/executor/executor.h"

namespace corosim::detail {

class TimerHeap {
 public:
  bool empty() noexcept {
    drop_stale();
    return heap_.empty();
  }
  std::size_t armed() const noexcept { return armed_; }

  void arm(TimerNode& node) {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    }
    slots_[slot].node = &node;
    node.slot = slot;
    node.armed = true;
    ++armed_;
    heap_.push_back(Entry{node.deadline_ns, next_sequence_++, slot, slots_[slot].generation});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }

  void cancel(TimerNode& node) noexcept {
    assert(node.armed);
    release(node.slot);
    node.armed = false;
  }

  // The armed timer a fiber sleeps on, if any (a linear scan: for the rare
  // moments a timer is hurried).
  TimerNode* find(const Fiber& fiber) const noexcept {
    for (const Slot& slot : slots_) {
      if (slot.node != nullptr && slot.node->fiber == &fiber) return slot.node;
    }
    return nullptr;
  }

  // Earliest deadline; the heap must not be empty.
  std::uint64_t next_deadline() noexcept {
    drop_stale();
    assert(!heap_.empty());
    return heap_.front().deadline_ns;
  }

  // The earliest timer, left armed; the heap must not be empty.
  const TimerNode& peek() noexcept {
    drop_stale();
    assert(!heap_.empty());
    return *slots_[heap_.front().slot].node;
  }

  // Removes and returns the earliest timer (disarmed); the heap must not be empty.
  TimerNode& pop() noexcept {
    drop_stale();
    assert(!heap_.empty());
    const Entry top = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
    TimerNode& node = *slots_[top.slot].node;
    release(top.slot);
    node.armed = false;
    return node;
  }

  // Forgets every timer. Nodes still armed (frames that outlived the run)
  // are disarmed, so their destructors do not reach back into this heap.
  void clear() noexcept {
    for (Slot& slot : slots_) {
      if (slot.node != nullptr) slot.node->armed = false;
    }
    heap_.clear();
    slots_.clear();
    free_.clear();
    armed_ = 0;
  }

 private:
  struct Slot {
    TimerNode* node = nullptr;
    std::uint32_t generation = 0;
  };
  struct Entry {
    std::uint64_t deadline_ns;
    std::uint64_t sequence;
    std::uint32_t slot;
    std::uint32_t generation;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const noexcept {
      return a.deadline_ns != b.deadline_ns ? a.deadline_ns > b.deadline_ns : a.sequence > b.sequence;
    }
  };

  void release(std::uint32_t slot) noexcept {
    slots_[slot].node = nullptr;
    ++slots_[slot].generation;
    free_.push_back(slot);
    --armed_;
  }

  void drop_stale() noexcept {
    while (!heap_.empty() && heap_.front().generation != slots_[heap_.front().slot].generation) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      heap_.pop_back();
    }
  }

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t next_sequence_ = 0;
  std::size_t armed_ = 0;
};

}  // namespace corosim::detail
