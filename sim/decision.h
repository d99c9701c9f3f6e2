// Decisions: every nondeterministic choice a run makes, in order. Seed and
// strategy produce them; the list of them (the decision stream) is the run.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace corosim {

enum class DecisionKind : std::uint8_t {
  schedule,      // which ready fiber runs next: n = ready fibers
  yield,         // at a suspension point, park first (1) or proceed (0): n = 2
  timer_tie,     // which of n timers with the same deadline fires next
  random,        // a value of corosim::random(n)
  cancel_arm,    // random injection: arm this suspension site for the run (1) or not (0)
  cancel_fire,   // random injection: cancel at this visit of an armed site (1) or not (0)
  cancel_mode,   // random injection: which of the n requested modes
  buggify_arm,   // corosim::buggify(): arm this call site for the run (1) or not (0)
  buggify_fire,  // corosim::buggify(): an armed site fires at this call (1) or not (0)
  timer_delay,   // SimOptions::timer_jitter_ns: a timer fires k/10 of the jitter late (n = 11)
};

const char* decision_kind_name(DecisionKind kind) noexcept;

// Only real choices are recorded: n >= 2.
struct Decision {
  DecisionKind kind;
  std::uint64_t n;
  std::uint64_t value;

  friend bool operator==(const Decision&, const Decision&) = default;
};

using DecisionStream = std::vector<Decision>;

// The decisions of the run in flight, as the simulator appends them: at
// every choice, so an append is a store and a bump (std::vector's push_back
// is not always inlined). A crash handler reads it as the run stands.
class DecisionLog {
 public:
  void clear() noexcept { size_ = 0; }
  void reserve(std::size_t capacity) {
    if (capacity > capacity_) grow(capacity);
  }
  void push_back(const Decision& decision) {
    if (size_ == capacity_) [[unlikely]]
      grow(capacity_ * 2 + 64);
    data_[size_++] = decision;
  }
  std::size_t size() const noexcept { return size_; }
  const Decision& operator[](std::size_t i) const noexcept { return data_[i]; }
  const Decision* begin() const noexcept { return data_.get(); }
  const Decision* end() const noexcept { return data_.get() + size_; }
  DecisionStream stream() const { return DecisionStream(begin(), end()); }

 private:
  void grow(std::size_t capacity) {
    std::unique_ptr<Decision[]> bigger(new Decision[capacity]);
    std::copy(begin(), end(), bigger.get());
    data_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<Decision[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace corosim
