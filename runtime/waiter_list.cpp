#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "corosim/runtime/detail/waiter_list.h"

namespace corosim::detail {

namespace {

// A node wake_crowd has walked past: nothing points to it any more.
Fiber* detach(WaiterNode& node) noexcept {
  node.prev = node.next = nullptr;
  node.list = nullptr;
  return node.fiber;
}

// Room for the back half of the largest crowd woken so far, kept so that
// waking a crowd allocates only when it is the largest yet.
thread_local std::vector<Fiber*> tls_back_half;

}  // namespace

// The nodes lie in their fibers' frames, in the order the fibers parked, which
// is nothing like their order in memory: in a crowd too large for the caches,
// each step of a walk is a miss that waits for the one before it (one per
// waiter: 15% of W7's time at 1M fibers, docs/performance.md). So the walk
// runs from both ends at once, two chains of misses in flight instead of one.
// The front half's fibers are woken as their nodes are reached; the back
// half's are kept and woken after them, oldest first, their records fetched
// ahead. The list is emptied before the first wake-up, which the program
// under test cannot see: a wake-up resumes nobody (executor.h).
void WaiterList::wake_crowd() {
  // Taken, not borrowed: a wake-up that woke another crowd would find it empty.
  std::vector<Fiber*> back_half = std::move(tls_back_half);
  back_half.clear();
  WaiterNode* front = std::exchange(head_, nullptr);
  WaiterNode* back = std::exchange(tail_, nullptr);
  for (;;) {
    WaiterNode* const after_front = front->next;
    if (front == back) {  // an odd count: the middle node
      fiber_wake(*detach(*front));
      break;
    }
    WaiterNode* const before_back = back->prev;
    fiber_wake(*detach(*front));
    back_half.push_back(detach(*back));
    if (after_front == back) break;  // an even count: the halves met
    front = after_front;
    back = before_back;
  }
  // A wake-up reads and writes the record's first 128 bytes
  // (tests/executor/fiber_layout_test.cpp holds the fields there).
  constexpr std::size_t kAhead = 16;
  for (std::size_t left = back_half.size(); left-- > 0;) {
    if (left >= kAhead) {
      const char* record = reinterpret_cast<const char*>(back_half[left - kAhead]);
      for (int offset : {0, 64, 127}) __builtin_prefetch(record + offset, 1);
    }
    fiber_wake(*back_half[left]);
  }
  tls_back_half = std::move(back_half);
}

void WaiterList::report_destroyed_while_waited() noexcept {
  std::string fibers;
  int count = 0;
  while (!empty()) {
    WaiterNode& node = pop_front();
    if (count++ != 0) fibers += ", ";
    fibers += std::to_string(node.fiber->id);
  }
  if (Executor* executor = current_executor()) {
    const Fiber* fiber = current_fiber();
    try {
      executor->report_failure(Checker::dangling_wait,
                               "a primitive was destroyed while fiber(s) " + fibers +
                                   " still waited on it; they can never be woken (the owner went away first)",
                               fiber != nullptr ? fiber->suspended_at : SourceLoc{});
    } catch (...) {
      // Reporting must not throw out of a destructor; the failure is lost.
    }
  }
}

}  // namespace corosim::detail
