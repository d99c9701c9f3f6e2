// WaiterList: an intrusive FIFO of parked awaiters. Nodes live in the waiting
// fibers' frames and unlink themselves when destroyed (a dropped waiter never
// leaves a dangling entry). No allocation.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

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

// Nodes of a long list, every WaiterList::kAnchorGap-th pushed, oldest
// first: places mid-list where wake_crowd can start chains of its walk.
// Only queued nodes are held (WaiterList::forget_anchor).
struct WaiterAnchors {
  std::vector<WaiterNode*> nodes;
  std::size_t first = 0;  // those before it were popped
};

class WaiterList {
 public:
  // From this length on, every kAnchorGap-th node pushed is kept as an anchor.
  static constexpr std::uint32_t kAnchorFrom = 1024;
  static constexpr std::uint32_t kAnchorGap = 64;

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
    if (++length_ >= kAnchorFrom) [[unlikely]]
      anchor_long_push(node);
  }

  void unlink(WaiterNode& node) noexcept {
    assert(node.list == this);
    if (anchors_ != nullptr) [[unlikely]]
      forget_anchor(node);
    --length_;
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

  // How many anchors it holds now: for tests.
  std::size_t anchors() const noexcept {
    return anchors_ != nullptr ? anchors_->nodes.size() - anchors_->first : 0;
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
  void wake_from_anchors();
  void anchor_long_push(WaiterNode& node) noexcept;
  void forget_anchor(const WaiterNode& node) noexcept;
  void report_destroyed_while_waited() noexcept;

  WaiterNode* head_ = nullptr;
  WaiterNode* tail_ = nullptr;
  std::uint32_t length_ = 0;
  std::uint32_t since_anchor_ = 0;  // nodes pushed since the last anchor, while long
  // Null until the list grows long, and again once no anchor is left.
  std::unique_ptr<WaiterAnchors> anchors_;
};

// Unlinks node if it is still queued; for awaiters' destructors.
inline void unlink_if_queued(WaiterNode& node) noexcept {
  if (node.list != nullptr) node.list->unlink(node);
}

}  // namespace corosim::detail
