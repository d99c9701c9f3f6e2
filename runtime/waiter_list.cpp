#include <algorithm>
#include <array>
#include <cstddef>
#include <new>
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

// Room for the fibers of the largest crowd woken so far (its back half, when
// walked from both ends), kept so that waking a crowd allocates only when it
// is the largest yet.
thread_local std::vector<Fiber*> tls_crowd;

// Wakes fibers in the order given. A wake-up reads and writes the record's
// first kFiberStepBytes: fetched 16 wake-ups ahead, as the records lie
// anywhere.
template <class It>
void wake_fetching_ahead(It first, It last) {
  constexpr std::ptrdiff_t kAhead = 16;
  for (It at = first; at != last; ++at) {
    if (last - at > kAhead) {
      const char* record = reinterpret_cast<const char*>(*(at + kAhead));
      for (int offset : {0, 64, kFiberStepBytes - 1}) __builtin_prefetch(record + offset, 1);
    }
    fiber_wake(**at);
  }
}

}  // namespace

void WaiterList::anchor_long_push(WaiterNode& node) noexcept {
  if (++since_anchor_ < kAnchorGap) return;
  since_anchor_ = 0;
  try {
    if (anchors_ == nullptr) anchors_ = std::make_unique<WaiterAnchors>();
    anchors_->nodes.push_back(&node);
  } catch (const std::bad_alloc&) {
    anchors_.reset();  // the walk falls back to two chains
  }
}

// Called before node's links change. Anchors lie in the list's order, so the
// head is one only if it is the first, and the tail only if it is the last;
// a node from between them may be any, and telling which would cost a search
// (or a field in every node): the anchors are dropped instead, and a wake
// walks from both ends as it did before anchors.
void WaiterList::forget_anchor(const WaiterNode& node) noexcept {
  WaiterAnchors& anchors = *anchors_;
  if (&node == anchors.nodes[anchors.first]) {
    ++anchors.first;
  } else if (&node == anchors.nodes.back()) {
    anchors.nodes.pop_back();
  } else if (node.prev != nullptr && node.next != nullptr) {
    anchors.nodes.clear();
    anchors.first = 0;
    since_anchor_ = 0;
  }
  if (anchors.first == anchors.nodes.size()) anchors_.reset();
}

// The nodes lie in their fibers' frames, in the order the fibers parked, which
// is nothing like their order in memory: in a crowd too large for the caches,
// each step of a walk is a miss that waits for the one before it (one per
// waiter: 15% of W7's time at 1M fibers, docs/performance.md). So the walk
// runs several chains of misses at once: from every anchor a long list kept
// (wake_from_anchors), or else from both ends. The list is emptied before the
// first wake-up, which the program under test cannot see: a wake-up resumes
// nobody (executor.h).
void WaiterList::wake_crowd() {
  length_ = 0;
  since_anchor_ = 0;
  if (anchors_ != nullptr) {
    wake_from_anchors();
    return;
  }
  // Taken, not borrowed: a wake-up that woke another crowd would find it empty.
  std::vector<Fiber*> back_half = std::move(tls_crowd);
  back_half.clear();
  WaiterNode* front = std::exchange(head_, nullptr);
  WaiterNode* back = std::exchange(tail_, nullptr);
  // The front half's fibers are woken as their nodes are reached; the back
  // half's are kept and woken after them, oldest first.
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
  wake_fetching_ahead(back_half.rbegin(), back_half.rend());
  tls_crowd = std::move(back_half);
}

// Every segment of the list, from the head or an anchor to the next anchor,
// is a chain of its own: kChains of them are walked at once, a node of each
// in turn, their fibers kept in the list's order and woken once all are.
void WaiterList::wake_from_anchors() {
  constexpr std::size_t kChains = 16;
  const std::unique_ptr<WaiterAnchors> anchors = std::move(anchors_);
  WaiterNode* const head = std::exchange(head_, nullptr);
  tail_ = nullptr;
  const std::size_t segments = 1 + anchors->nodes.size() - anchors->first;
  const auto segment_start = [&](std::size_t i) {
    return i == 0 ? head : anchors->nodes[anchors->first + i - 1];
  };
  std::vector<Fiber*> order = std::move(tls_crowd);
  order.clear();
  // Walking wakes nobody, so these are never in use twice.
  thread_local std::array<std::vector<Fiber*>, kChains> chain_fibers;
  for (std::size_t group = 0; group < segments; group += kChains) {
    const std::size_t chains = std::min(kChains, segments - group);
    WaiterNode* at[kChains];
    WaiterNode* end[kChains];
    for (std::size_t c = 0; c < chains; ++c) {
      at[c] = segment_start(group + c);
      end[c] = group + c + 1 < segments ? segment_start(group + c + 1) : nullptr;
      chain_fibers[c].clear();
    }
    for (bool walking = true; walking;) {
      walking = false;
      for (std::size_t c = 0; c < chains; ++c) {
        if (at[c] == end[c]) continue;
        WaiterNode& node = *at[c];
        at[c] = node.next;
        chain_fibers[c].push_back(detach(node));
        walking = true;
      }
    }
    for (std::size_t c = 0; c < chains; ++c)
      order.insert(order.end(), chain_fibers[c].begin(), chain_fibers[c].end());
  }
  wake_fetching_ahead(order.begin(), order.end());
  tls_crowd = std::move(order);
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
