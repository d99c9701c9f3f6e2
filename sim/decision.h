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
// every choice, so an append is a few register operations, a store and a
// bump (std::vector's push_back is not always inlined), into 8 bytes a
// decision rather than 24: kind, n and value packed into one word when n
// fits in 30 bits (every schedule among fewer than a billion fibers), else
// the word points into a side list. A crash handler reads it as the run
// stands.
class DecisionLog {
 public:
  void clear() noexcept {
    size_ = 0;
    wide_.clear();
  }
  void reserve(std::size_t capacity) {
    if (capacity > capacity_) grow(capacity);
  }
  void push_back(const Decision& decision) {
    if (size_ == capacity_) [[unlikely]]
      grow(capacity_ * 2 + 64);
    if (decision.n < kNarrowLimit) [[likely]] {
      data_[size_++] = static_cast<std::uint64_t>(decision.kind) | decision.n << kKindBits |
                       decision.value << (kKindBits + kNarrowBits);
    } else {
      data_[size_++] = kWide | wide_.size() << kKindBits;
      wide_.push_back(decision);
    }
  }
  // The common append, inline at every decision: false (nothing appended)
  // when the log is full or the decision is wide; push_back then.
  bool try_push_narrow(DecisionKind kind, std::uint64_t n, std::uint64_t value) noexcept {
    if (size_ == capacity_ || n >= kNarrowLimit) [[unlikely]]
      return false;
    data_[size_++] = static_cast<std::uint64_t>(kind) | n << kKindBits | value << (kKindBits + kNarrowBits);
    return true;
  }
  std::size_t size() const noexcept { return size_; }
  Decision operator[](std::size_t i) const noexcept {
    const std::uint64_t word = data_[i];
    if ((word & kKindMask) == kWide) return wide_[word >> kKindBits];
    return unpack(word);
  }
  // Unpacked, once per run: a plain loop over the words when none is wide.
  DecisionStream stream() const {
    DecisionStream out(size_);
    Decision* to = out.data();
    if (!wide_.empty()) {
      for (std::size_t i = 0; i < size_; ++i) to[i] = (*this)[i];
      return out;
    }
    for (std::size_t i = 0; i < size_; ++i) to[i] = unpack(data_[i]);
    return out;
  }

 private:
  static constexpr unsigned kKindBits = 4;
  static constexpr std::uint64_t kKindMask = (1u << kKindBits) - 1;
  static constexpr std::uint64_t kWide = kKindMask;  // no DecisionKind has this value
  static constexpr unsigned kNarrowBits = 30;
  static constexpr std::uint64_t kNarrowLimit = std::uint64_t{1} << kNarrowBits;
  static constexpr std::uint64_t kNarrowMask = kNarrowLimit - 1;

  // A packed word (not kWide) as the decision it holds.
  static Decision unpack(std::uint64_t word) noexcept {
    return Decision{static_cast<DecisionKind>(word & kKindMask), (word >> kKindBits) & kNarrowMask,
                    word >> (kKindBits + kNarrowBits)};
  }

  void grow(std::size_t capacity) {
    std::unique_ptr<std::uint64_t[]> bigger(new std::uint64_t[capacity]);
    std::copy(data_.get(), data_.get() + size_, bigger.get());
    data_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<std::uint64_t[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::vector<Decision> wide_;
};

}  // namespace corosim
