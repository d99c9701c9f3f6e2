#include "corosim/sim/strategy/replay.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace corosim {

std::string describe_decision(const Decision& decision) {
  return absl::StrCat(decision_kind_name(decision.kind), " ", decision.value, " of ", decision.n);
}

ReplayStrategy::ReplayStrategy(DecisionStream stream, Mode mode, std::unique_ptr<Strategy> fallback)
    : stream_(std::move(stream)), mode_(mode), fallback_(std::move(fallback)) {}

void ReplayStrategy::begin_run(std::uint64_t seed) {
  position_ = 0;
  divergence_.reset();
  if (fallback_ != nullptr) fallback_->begin_run(seed);
}

std::uint64_t ReplayStrategy::choose(DecisionKind kind, std::uint64_t n) {
  if (mode_ == Mode::lenient) {
    if (position_ >= stream_.size()) return 0;
    return stream_[position_++].value % n;
  }
  if (divergence_)
    return fallback_ != nullptr && mode_ == Mode::continue_with ? fallback_->choose(kind, n) : 0;
  if (position_ < stream_.size() && stream_[position_].kind == kind && stream_[position_].n == n) {
    return stream_[position_++].value;
  }
  divergence_ = describe_divergence(kind, n);
  if (mode_ == Mode::continue_with && fallback_ != nullptr) return fallback_->choose(kind, n);
  return 0;
}

std::string ReplayStrategy::describe_divergence(DecisionKind kind, std::uint64_t n) const {
  std::string out;
  if (position_ >= stream_.size()) {
    out = absl::StrCat("the run asked for decision ", position_, " (", decision_kind_name(kind), " among ", n,
                       ") but the recording has only ", stream_.size(), " decisions");
  } else {
    out = absl::StrCat("decision ", position_, ": the recording has ", describe_decision(stream_[position_]),
                       ", but this run asks for ", decision_kind_name(kind), " among ", n);
  }
  // The recorded side: a few decisions either way.
  const std::size_t from = position_ >= 3 ? position_ - 3 : 0;
  const std::size_t to = std::min(stream_.size(), position_ + 3);
  if (from < to) {
    out += "\n  recorded decisions around it:";
    for (std::size_t i = from; i < to; ++i) {
      absl::StrAppend(&out, "\n    ", i == position_ ? "> " : "  ", i, ": ", describe_decision(stream_[i]));
    }
  }
  return out;
}

}  // namespace corosim
