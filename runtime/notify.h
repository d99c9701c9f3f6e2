// Notify: tokio's Notify — wake one waiting fiber, or all of them, without
// a lock or a value.
//
//   corosim::Notify changed;
//   co_await changed.notified();   // parks until notified
//   changed.notify_one();          // the oldest waiter, or a permit for the next
//
// Contract:
// - notify_one() wakes the oldest waiter; with nobody waiting it stores a
//   permit (one at most: permits do not add up) and the next notified()
//   completes at once, consuming it.
// - notify_waiters() wakes every fiber waiting now and stores nothing.
// - Wake-ups go through the executor (the waiter resumes on a later step).
// - Cancel-safety of notified(): total. A waiter cancelled while parked
//   leaves the queue; one woken by notify_one() and cancelled before it
//   resumed passes the wake-up on — to the next waiter, or as the permit.
// - Ledger (audited after injected cancellations and at the end of a run):
//   every notify_one() is taken by a waiter, taken as a permit, merged into
//   a stored permit, stored, or in flight to a woken waiter. A wake-up that
//   went nowhere is a lost wake-up, reported as a "ledger" failure.
#pragma once

#include <coroutine>
#include <cstdint>
#include <source_location>
#include <string>

#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/detail/wake_queue.h"

namespace corosim {

class Notify final : public WaitTarget, public Ledger, private detail::WakeQueue {
 public:
  explicit Notify(std::source_location created_at = std::source_location::current());
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;

  class [[nodiscard]] Notified {
   public:
    static constexpr const char* corosim_what = "notify.notified";
    explicit Notified(Notify& notify) noexcept;
    Notified(const Notified&) = delete;
    Notified& operator=(const Notified&) = delete;

    bool await_ready() noexcept;
    void await_suspend(std::coroutine_handle<>);
    void await_resume();

   private:
    Notify& notify_;
    detail::WakeQueue::Waiter waiter_;
  };

  [[nodiscard]] Notified notified() noexcept { return Notified(*this); }
  void notify_one();
  void notify_waiters();

  // A notify_one() is stored for the next notified().
  bool has_permit() const noexcept { return permit_; }
  std::uint32_t id() const noexcept { return id_; }
  void describe(std::string& out) const override;
  void audit(const FiberAlive& alive, std::string& out) const override;

 private:
  void unclaimed_token() override;
  bool take_permit() noexcept;

  std::uint64_t permits_taken_ = 0;
  std::uint64_t coalesced_ = 0;
  std::uint32_t id_;
  bool permit_ = false;
};

}  // namespace corosim
