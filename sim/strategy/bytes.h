// bytes: decisions read from a byte string, as a coverage-guided fuzzer
// (libFuzzer) supplies it.
//
// Each decision takes the fewest bits that can name any of its n choices
// (bit_width(n - 1)), least significant bit of each byte first; a value of n
// or more wraps (value mod n). When the bytes run out every decision is 0:
// the oldest fiber runs, nothing is pre-empted, no site is armed, no fault
// fires. So the empty input is the plain fifo run, a longer input departs
// from it decision by decision, and a fuzzer's byte mutations become local
// changes to the schedule and the cancellation points, which its coverage
// feedback then steers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "corosim/sim/decision.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class BytesStrategy final : public Strategy {
 public:
  BytesStrategy() = default;
  // The bytes are borrowed: they must outlive the runs that read them.
  explicit BytesStrategy(std::string_view input) : input_(input) {}
  void set_input(std::string_view input) noexcept { input_ = input; }

  void begin_run(std::uint64_t seed) override {
    (void)seed;  // the input is the whole run: a seed adds nothing
    bit_ = 0;
  }
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override;
  std::string describe() const override { return "fuzz"; }

  // Bits this run has read, and whether it asked past the end of the input.
  std::uint64_t bits_read() const noexcept { return bit_; }
  bool ran_out() const noexcept { return bit_ > input_.size() * 8; }

 private:
  std::string_view input_;
  std::uint64_t bit_ = 0;
};

// The input that makes BytesStrategy answer these decisions, in order (every
// value must be below its n). Trailing zero bytes are left off: past the end
// of the input every answer is 0 anyway.
std::string decisions_to_bytes(const DecisionStream& decisions);

}  // namespace corosim
