// pos: Partial Order Sampling (Yuan, Yang and Gu, "Partial Order Aware
// Concurrency Sampling", CAV 2018). Every fiber's pending step gets a random
// priority when first seen; the ready fiber whose step ranks highest runs, and
// at a forced-suspension decision the running fiber is pre-empted exactly when
// a ready one outranks its next step. When a step has run, its fiber's next
// step draws a new priority, and so does every pending step that races with
// it (touches an object it touched, one of the two writing, per Fiber::touch);
// every other pending step keeps its rank.
//
// Uniform random scheduling samples interleavings that differ only in the
// order of independent steps over and over; pos keeps a pending step's rank
// until something it races with happens, so a fiber whose step ranks low
// stays behind for many steps — the long delays deep bugs need (a thread that
// must not run until 99 others have each done their first half) — while
// steps that do race are reordered afresh. A step nothing declares a touch for
// races with nothing.
//
// Runs depend on the seed alone. Other decisions (timers, data, injected
// cancellation) are drawn from the seed as random draws them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corosim/executor/prng.h"
#include "corosim/sim/strategy/strategy.h"

namespace corosim {

class PosStrategy final : public Strategy {
 public:
  void begin_run(std::uint64_t seed) override;
  std::uint64_t choose(DecisionKind kind, std::uint64_t n) override;
  bool wants_fibers() const noexcept override { return true; }
  bool wants_touches() const noexcept override { return true; }
  std::uint64_t choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) override;
  std::string describe() const override { return "pos"; }

 private:
  std::uint64_t priority(std::uint32_t fiber);
  void redraw(std::uint32_t fiber);
  void steps_ran(const FiberView& view);

  static constexpr std::uint32_t kMaxEagerRun = 256;

  detail::Prng prng_;
  std::vector<std::uint64_t> priorities_;  // by fiber id; 0: to be drawn
  std::uint32_t eager_run_ = 0;            // steps run in a row because they touch nothing shared
};

}  // namespace corosim
