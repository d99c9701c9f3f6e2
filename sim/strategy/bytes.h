// bytes: decisions read from a byte string, as a coverage-guided fuzzer
// (libFuzzer) supplies it.
//
// Each decision takes the fewest bits that can name any of its n choices
// (bit_width(n - 1)), least significant bit of each byte first; a value of n
// or more wraps (value mod n). When the bytes run out, the schedule and
// yield decisions follow pos (sim/strategy/pos.h) seeded by a hash of the
// input, and every other decision is 0: no site is armed, no fault fires,
// data is 0. So an input is a prefix of chosen decisions followed by a
// partial-order sample; a fuzzer's byte mutations change the prefix decision
// by decision, its coverage feedback (with the schedule counters of
// harness/schedule_coverage.h) steers them, and every input is still worth a
// pos run: a short input whose tail ran fifo (an earlier design) reached
// deep interleavings no better than uniform random scheduling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "corosim/sim/decision.h"
#include "corosim/sim/strategy/pos.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class BytesStrategy final : public Strategy {
 public:
  BytesStrategy() = default;
  // The bytes are borrowed: they must outlive the runs that read them.
  explicit BytesStrategy(std::string_view input) : input_(input) {}
  void set_input(std::string_view input) noexcept { input_ = input; }

  // The seed is ignored: the input is the whole run.
  void begin_run(std::uint64_t seed) override;
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override;
  bool wants_fibers() const noexcept override { return true; }
  bool wants_touches() const noexcept override { return true; }
  std::uint64_t choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) override;
  std::string describe() const override { return "fuzz"; }

  // Bits this run has read, and whether it asked past the end of the input.
  std::uint64_t bits_read() const noexcept { return bit_; }
  bool ran_out() const noexcept { return bit_ > input_.size() * 8; }

 private:
  bool past_end() const noexcept { return bit_ >= input_.size() * 8; }

  std::string_view input_;
  std::uint64_t bit_ = 0;
  PosStrategy tail_;
};

// The input that makes BytesStrategy answer these decisions, in order (every
// value must be below its n). Every decision is spelled out, zeros included:
// past the end of the input pos would answer.
std::string decisions_to_bytes(const DecisionStream& decisions);

}  // namespace corosim
