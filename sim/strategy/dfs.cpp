#include "corosim/sim/strategy/dfs.h"

#include "absl/strings/str_cat.h"

namespace corosim {

std::string DfsStrategy::describe() const { return absl::StrCat("dfs:", bound_); }

std::string DfsStrategy::bound_description() const {
  return absl::StrCat("within preemption bound ", bound_);
}

void DfsStrategy::begin_run(std::uint64_t) {
  position_ = 0;
  preemptions_ = 0;
}

std::uint64_t DfsStrategy::choose(DecisionKind kind, std::uint64_t n) {
  std::uint64_t value = 0;
  if (position_ < path_.size() && path_[position_].kind == kind && path_[position_].n == n) {
    value = path_[position_].value;
  } else {
    // New ground (or the program behaved differently here: start afresh).
    path_.resize(position_);
    path_.push_back(Entry{kind, n, 0, preemptions_});
  }
  if (kind == DecisionKind::yield && value == 1) ++preemptions_;
  ++position_;
  return value;
}

void DfsStrategy::end_run(bool, std::uint64_t) {
  ++runs_;
  path_.resize(position_);
  while (!path_.empty()) {
    Entry& last = path_.back();
    const std::uint64_t next = last.value + 1;
    const bool allowed = last.kind != DecisionKind::yield || last.preemptions_before < bound_;
    if (next < last.n && allowed) {
      last.value = next;
      return;
    }
    path_.pop_back();
  }
  exhausted_ = true;
}

}  // namespace corosim
