// WaitGroup and Latch: wait until a count of outstanding work reaches zero.
//
//   corosim::WaitGroup group;              // Go's sync.WaitGroup
//   group.add(2);                          // before starting the work
//   spawn(...) ... group.done();           // each piece of work, when finished
//   co_await group.wait();                 // until the count is zero
//
//   corosim::Latch latch(3);               // std::latch: counted down once, never up
//   latch.count_down();  co_await latch.wait();  co_await latch.arrive_and_wait();
//
// Contract:
// - wait() completes at once when the count is zero, and otherwise when it
//   reaches zero; every fiber waiting then is released (woken through the
//   executor, resuming on a later step), even if the count rises again before
//   it runs.
// - The count never goes below zero: done() or count_down() past zero throws
//   UsageError (Go's "negative WaitGroup counter" panic).
// - WaitGroup::add() may raise the count again after it reached zero (a
//   group reused round after round). Go's rule holds here too: add() for
//   new work must happen before wait() can observe zero — a worker that adds
//   for itself once it starts may be too late, and wait() returns early.
// - Cancel-safety of wait(): total; waiting does not change the count.
// - Waiters are named in deadlock reports ("waitgroup#2 (count 1)"); who
//   will count down is not known, so no wait-for edge leads from them.
// - Ledger: no fiber still waits while the count is zero (a lost wake-up).
#pragma once

#include <coroutine>
#include <cstdint>
#include <source_location>
#include <string>

#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/detail/waiter_list.h"

namespace corosim {

namespace detail {

class Countdown : public WaitTarget, public Ledger {
 public:
  Countdown(const Countdown&) = delete;
  Countdown& operator=(const Countdown&) = delete;

  class Waiter {
   public:
    explicit Waiter(Countdown& countdown) noexcept : countdown_(countdown) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    ~Waiter() { unlink_if_queued(node_); }
    static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
    bool await_ready() const noexcept { return countdown_.count_ == 0; }
    void await_suspend(std::coroutine_handle<>);
    void await_resume() const noexcept {}

   private:
    Countdown& countdown_;
    WaiterNode node_;
  };

  std::uint64_t count() const noexcept { return count_; }
  std::uint32_t id() const noexcept { return id_; }
  void describe(std::string& out) const override;
  void audit(const FiberAlive& alive, std::string& out) const override;

 protected:
  Countdown(const char* kind, std::uint64_t count, std::source_location created_at);
  ~Countdown() = default;
  // Adds delta to the count; at zero, releases every waiter. Going below
  // zero throws UsageError naming `operation`.
  void adjust(std::int64_t delta, const char* operation);

 private:
  WaiterList waiters_;
  std::uint64_t count_;
  std::uint32_t id_;
  const char* kind_;
};

}  // namespace detail

class WaitGroup final : public detail::Countdown {
 public:
  explicit WaitGroup(std::source_location created_at = std::source_location::current())
      : Countdown("waitgroup", 0, created_at) {}

  class [[nodiscard]] WaitAwaiter : public Countdown::Waiter {
   public:
    static constexpr const char* corosim_what = "waitgroup.wait";
    using Countdown::Waiter::Waiter;
  };

  // Go's Add: delta may be negative; the count may not go below zero.
  void add(std::int64_t delta = 1) { adjust(delta, "waitgroup.add"); }
  void done() { adjust(-1, "waitgroup.done"); }
  [[nodiscard]] WaitAwaiter wait() noexcept { return WaitAwaiter(*this); }
};

class Latch final : public detail::Countdown {
 public:
  explicit Latch(std::uint64_t count, std::source_location created_at = std::source_location::current())
      : Countdown("latch", count, created_at) {}

  class [[nodiscard]] WaitAwaiter : public Countdown::Waiter {
   public:
    static constexpr const char* corosim_what = "latch.wait";
    using Countdown::Waiter::Waiter;
  };

  void count_down(std::uint64_t n = 1) { adjust(-static_cast<std::int64_t>(n), "latch.count_down"); }
  bool try_wait() const noexcept { return count() == 0; }
  [[nodiscard]] WaitAwaiter wait() noexcept { return WaitAwaiter(*this); }
  // count_down(n), then wait().
  [[nodiscard]] WaitAwaiter arrive_and_wait(std::uint64_t n = 1) {
    count_down(n);
    return wait();
  }
};

}  // namespace corosim
