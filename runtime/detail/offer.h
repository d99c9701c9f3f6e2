// Offer: a parked fiber's promise to complete exactly one of its operations
// — the one plain operation of a chan.send()/recv(), or one arm of a choose().
//
// A partner that completes an operation with a parked fiber (hands it a
// value, takes its value, closes the channel under it) claims the offer
// first. Only one claim succeeds: the offer's other operations, still queued
// on other channels, are skipped by their channels from then on and withdrawn
// when the fiber resumes. An offer whose fiber is no longer waiting — woken by
// its timer, or interrupted by an injected cancellation and unwinding — cannot
// be claimed, so nothing is handed to a fiber that would not take it.
#pragma once

#include <cstddef>

#include "corosim/executor/fiber.h"

namespace corosim::detail {

class Offer {
 public:
  static constexpr std::size_t kNone = ~std::size_t{0};

  Offer() = default;
  Offer(const Offer&) = delete;
  Offer& operator=(const Offer&) = delete;

  bool claimable() const noexcept {
    return won_ == kNone && fiber_ != nullptr && fiber_->state == FiberState::waiting;
  }
  // A partner completed operation `index` with this fiber: no other can
  // complete now, and the fiber is woken (resumed on a later step).
  void claim(std::size_t index) {
    won_ = index;
    on_claimed();
    fiber_wake(*fiber_);
  }
  std::size_t won() const noexcept { return won_; }
  bool claimed() const noexcept { return won_ != kNone; }
  Fiber& fiber() const noexcept { return *fiber_; }

 protected:
  ~Offer() = default;
  // The fiber is about to park with this offer open.
  void open(Fiber& fiber) noexcept { fiber_ = &fiber; }
  // Claimed: a choose() disarms its timer here, which would otherwise fire on
  // a fiber that is no longer waiting.
  virtual void on_claimed() {}

 private:
  Fiber* fiber_ = nullptr;
  std::size_t won_ = kNone;
};

}  // namespace corosim::detail
