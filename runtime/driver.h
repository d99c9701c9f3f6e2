// Driver: how a poll-driven combinator (PolledSet, buffered, Pollable) runs
// its members with Rust's semantics on a completion-based scheduler.
//
// Members are ordinary fibers that point to their driver. While the driver's
// owner is awaiting the combinator (polling), a member's wake-up goes to the
// executor's run queue as usual. While the owner is elsewhere, the wake-up is
// held here — the member is snoozed — until the owner awaits the combinator
// again. Members already queued when polling stops are pulled back, since in
// Rust nothing polls them either.
//
// Drivers nest: a combinator used inside another's member (a select inside a
// buffered query) belongs to the outer one, and its members run only while
// every driver up the chain is being polled.
//
// The simulator reads the held members to report snoozing (a member ready
// for longer than a bound while its owner does other work) and futurelock
// (the owner waits on something a held member holds).
#pragma once

#include <chrono>
#include <cstdint>
#include <source_location>
#include <string>
#include <vector>

#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"

namespace corosim {

// How a combinator runs its members: driven by the owner's awaiting (Rust's
// FuturesUnordered / buffered / select on a borrowed future), or as fibers
// of their own that progress whether or not the owner awaits (the fix for
// starvation: like spawning each future first).
enum class Polling : std::uint8_t { driven, spawned };

class Driver {
 public:
  // kind names the combinator in reports ("buffered", "set", "pollable").
  Driver(const char* kind, const SourceLoc& created_at);
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;
  ~Driver();

  // The owner awaits the combinator: held members become ready (if the
  // drivers above are polled too).
  void begin_poll(Fiber& owner);
  // The owner stops awaiting it: members that are ready wait here.
  void end_poll();
  // Whether members may run: this driver and every one above it are polled.
  bool polling() const noexcept { return polling_ && (parent_ == nullptr || parent_->polling()); }
  // The nearest driver, from this one up, that is not being polled: the one
  // whose owner is leaving held members waiting (null if all are polled).
  const Driver* blocking() const noexcept {
    if (!polling_) return this;
    return parent_ != nullptr ? parent_->blocking() : nullptr;
  }

  // The fiber that last polled the combinator (at first: the one that made it).
  std::uint32_t owner_id() const noexcept { return owner_id_; }

  // A bound on how long a member may stay held; zero: the executor's default.
  void set_snooze_limit(std::chrono::nanoseconds limit) noexcept { snooze_limit_ = limit; }
  std::chrono::nanoseconds snooze_limit() const noexcept { return snooze_limit_; }

  const std::vector<Fiber*>& held() const noexcept { return held_; }
  const SourceLoc& created_at() const noexcept { return created_at_; }
  // "buffered#3 (created at a.cpp:12)"
  void describe(std::string& out) const;

  // --- runtime internals --------------------------------------------------
  void adopt(Fiber& member);
  void member_done(Fiber& member);
  void hold(Fiber& member);    // a member was made ready while not polling
  void unhold(Fiber& member);  // a held member is being dropped

  // The executor's intrusive list of drivers (see Ledger: same rules).
  Driver* driver_prev = nullptr;
  Driver* driver_next = nullptr;
  bool registered = false;

 private:
  void release_held();
  void pull_back();

  const char* kind_;
  SourceLoc created_at_;
  Executor* executor_;
  std::uint32_t id_;
  std::uint32_t owner_id_ = kNoFiber;
  bool polling_ = false;
  std::chrono::nanoseconds snooze_limit_{0};
  std::vector<Fiber*> members_;  // alive members, in adoption order
  std::vector<Fiber*> held_;     // ready members, in the order they became ready
  Driver* parent_ = nullptr;     // the driver of the fiber that made this one
  std::vector<Driver*> children_;
};

}  // namespace corosim
