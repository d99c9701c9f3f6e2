// replay: hands out a recorded decision stream, one decision per ask.
//
// Each ask must match the recorded decision's kind and number of choices. The
// first that does not — or an ask after the stream ran out — is a divergence:
// the code changed since the recording. What happens then:
// - halt (plain replay): the run stops there and fails with the
//   replay-diverged checker, whose message shows the recorded decisions
//   around that point next to what this run asked; it never replays
//   something else silently;
// - continue: a fallback strategy makes this and every later decision
//   ("what happens from here");
// - lenient (minimisation): never diverges; a recorded value is used modulo
//   the asked n, and past the end every decision is 0 (the plainest choice).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "corosim/sim/decision.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class ReplayStrategy final : public Strategy {
 public:
  enum class Mode : std::uint8_t { halt, continue_with, lenient };

  // fallback is needed for Mode::continue_with, ignored otherwise.
  ReplayStrategy(DecisionStream stream, Mode mode, std::unique_ptr<Strategy> fallback = nullptr);

  void begin_run(std::uint64_t seed) override;
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override;
  std::string describe() const override { return "replay"; }
  bool halted() const noexcept override { return divergence_.has_value() && mode_ == Mode::halt; }
  bool may_halt() const noexcept override { return mode_ == Mode::halt; }
  std::string halt_message() const override { return divergence_.value_or(""); }

  // Where the run left the recording: a description, if it diverged.
  const std::optional<std::string>& divergence() const noexcept { return divergence_; }
  std::size_t consumed() const noexcept { return position_; }
  std::size_t recorded() const noexcept { return stream_.size(); }

 private:
  std::string describe_divergence(DecisionKind kind, std::uint64_t n) const;

  DecisionStream stream_;
  Mode mode_;
  std::unique_ptr<Strategy> fallback_;
  std::size_t position_ = 0;
  std::optional<std::string> divergence_;
};

// "schedule 2 of 3"
std::string describe_decision(const Decision& decision);

}  // namespace corosim
