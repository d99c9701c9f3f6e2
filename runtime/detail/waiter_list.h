// WaiterList: an intrusive FIFO of parked awaiters. Nodes live in the waiting
// fibers' frames and unlink themselves when destroyed (a dropped waiter never
// leaves a dangling entry). No allocation.
#pragma once

#include <cassert>

#include "corosim/executor/fiber.h"

namespace corosim::detail {

class WaiterList;

struct WaiterNode {
  WaiterNode() = default;
  WaiterNode(const WaiterNode&) = delete;
  WaiterNode& operator=(const WaiterNode&) = delete;

  Fiber* fiber = nullptr;
  void* owner = nullptr;  // the awaiter that holds this node
  WaiterNode* prev = nullptr;
  WaiterNode* next = nullptr;
  WaiterList* list = nullptr;  // non-null while queued
};

class WaiterList {
 public:
  WaiterList() = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;
  // A primitive destroyed while fibers wait on it is a bug in the program under
  // test (they would wake on freed memory): reported, and the waiters are
  // unlinked so that nothing dangles.
  ~WaiterList() {
    if (!empty()) report_destroyed_while_waited();
  }

  bool empty() const noexcept { return head_ == nullptr; }
  WaiterNode* front() const noexcept { return head_; }

  void push_back(WaiterNode& node, Fiber& fiber) noexcept {
    assert(node.list == nullptr);
    node.fiber = &fiber;
    node.list = this;
    node.prev = tail_;
    node.next = nullptr;
    (tail_ != nullptr ? tail_->next : head_) = &node;
    tail_ = &node;
  }

  void unlink(WaiterNode& node) noexcept {
    assert(node.list == this);
    (node.prev != nullptr ? node.prev->next : head_) = node.next;
    (node.next != nullptr ? node.next->prev : tail_) = node.prev;
    node.prev = node.next = nullptr;
    node.list = nullptr;
  }

  WaiterNode& pop_front() noexcept {
    WaiterNode& node = *head_;
    unlink(node);
    return node;
  }

  // Wakes every waiter, oldest first, emptying the list (a waiter already
  // unwinding from an interrupt ignores its wake-up). What is left after the
  // first few is woken out of line (wake_crowd).
  void wake_all() {
    for (int woken = 0; woken < kFewWaiters; ++woken) {
      if (empty()) return;
      fiber_wake(*pop_front().fiber);
    }
    if (!empty()) [[unlikely]]
      wake_crowd();
  }

 private:
  static constexpr int kFewWaiters = 8;
  void wake_crowd();
  void report_destroyed_while_waited() noexcept;

  WaiterNode* head_ = nullptr;
  WaiterNode* tail_ = nullptr;
};

// Unlinks node if it is still queued; for awaiters' destructors.
inline void unlink_if_queued(WaiterNode& node) noexcept {
  if (node.list != nullptr) node.list->unlink(node);
}

}  // namespace corosim::detail
