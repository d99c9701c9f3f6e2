#include "corosim/sim/strategy/dfs.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace corosim {

std::string DfsStrategy::describe() const { return absl::StrCat("dfs:", bound_); }

std::string DfsStrategy::bound_description() const {
  return absl::StrCat("within deviation bound ", bound_,
                      " (pre-emptions, non-default data, timer and cancellation choices)");
}

std::uint32_t DfsStrategy::cost(DecisionKind kind, std::uint64_t value) noexcept {
  if (value == 0) return 0;
  switch (kind) {
    case DecisionKind::schedule:
    case DecisionKind::timer_tie:
      return value > 64 ? 65 : static_cast<std::uint32_t>(value);  // past any bound
    case DecisionKind::cancel_mode: return 0;
    default: return 1;
  }
}

void DfsStrategy::begin_run(std::uint64_t) {
  position_ = 0;
  spent_ = 0;
}

std::uint64_t DfsStrategy::choose(DecisionKind kind, std::uint64_t n) { return take(kind, n, 0, false); }

std::uint64_t DfsStrategy::choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) {
  if (kind == DecisionKind::yield && view.running_touch == kTouchNothing) return take(kind, n, 0, true);
  const std::size_t local = view.first_touching_nothing(n);
  if (kind == DecisionKind::schedule && local < view.count) return take(kind, n, local, true);
  return take(kind, n, 0, false);
}

std::uint64_t DfsStrategy::take(DecisionKind kind, std::uint64_t n, std::uint64_t first, bool forced) {
  std::uint64_t value = first;
  if (position_ < path_.size() && path_[position_].kind == kind && path_[position_].n == n) {
    value = path_[position_].value;
  } else {
    // New ground (or the program behaved differently here: start afresh).
    path_.resize(position_);
    floor_ = std::min(floor_, position_);
    path_.push_back(Entry{kind, n, first, spent_, forced});
  }
  // A forced choice is the reduction's, not a deviation.
  if (!path_[position_].forced) spent_ += cost(kind, value);
  ++position_;
  return value;
}

void DfsStrategy::end_run(bool, std::uint64_t) {
  ++runs_;
  path_.resize(position_);
  // Roots queued by this run share one copy of its stream.
  std::shared_ptr<const std::vector<Entry>> stream;
  while (path_.size() > floor_) {
    Entry& last = path_.back();
    const std::uint64_t next = last.value + 1;
    if (next < last.n && !last.forced) {
      const std::uint32_t spent = last.spent_before + cost(last.kind, next);
      if (spent <= pass_) {
        last.value = next;
        return;
      }
      // A dearer choice is the root of a later pass's subtree; that subtree,
      // when it backtracks to this decision, queues the choice after it.
      if (spent <= bound_) {
        if (!stream) stream = std::make_shared<const std::vector<Entry>>(path_);
        roots_[spent].push_back(Root{stream, path_.size() - 1, next});
      }
    }
    path_.pop_back();
  }
  if (!next_root()) exhausted_ = true;
}

bool DfsStrategy::next_root() {
  while (roots_[pass_].empty()) {
    if (pass_ == bound_) return false;
    ++pass_;
  }
  const Root root = std::move(roots_[pass_].front());
  roots_[pass_].pop_front();
  path_.assign(root.stream->begin(), root.stream->begin() + static_cast<std::ptrdiff_t>(root.position) + 1);
  path_.back().value = root.value;
  floor_ = root.position;
  return true;
}

}  // namespace corosim
