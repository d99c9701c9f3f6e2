// WakeQueue: the waiters of a Notify or a CondVar, and the wake-ups handed
// to them. A wake-up from notify_one() is a token: it goes to the oldest
// waiter, and if that waiter never resumes to take it (cancelled after the
// wake-up, before it returned) it is passed on to the next waiter — or, with
// nobody waiting, to what the owner does with a wake-up nobody takes (Notify
// stores a permit; a condition variable lets it go, as notify with no
// waiter does). So a notify_one() is never lost while someone waits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "corosim/executor/fiber.h"
#include "corosim/runtime/detail/waiter_list.h"

namespace corosim::detail {

class WakeQueue {
 public:
  // One waiter's place; lives in the waiting frame and settles its wake-up
  // (passes a notify_one token on) when destroyed.
  class Waiter {
   public:
    explicit Waiter(WakeQueue& queue) noexcept : queue_(queue) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    ~Waiter() { queue_.leave(*this); }

    // Joins the queue: from here on a wake-up is this waiter's, even before
    // the fiber parks. A condition variable enqueues before it unlocks, so
    // that a notification sent while the fiber is pre-empted between the
    // unlock and its suspension is not lost.
    void enqueue(Fiber& fiber) {
      node_.owner = this;
      queue_.waiting_.push_back(node_, fiber);
    }
    // The fiber suspends now (await_suspend), woken by the next wake-up.
    void park() noexcept { parked_ = true; }
    // A wake-up came (the fiber need not park, or was woken).
    bool woken() const noexcept { return node_.list == &queue_.woken_; }
    // Woken: the wake-up is this waiter's now (it returns); false if it was not woken.
    bool take() { return queue_.take(*this); }

   private:
    friend class WakeQueue;
    WakeQueue& queue_;
    WaiterNode node_;
    bool parked_ = false;
    bool holds_token_ = false;  // woken by notify_one (a token to pass on)
  };

  // A notify_one(): its token goes to the oldest waiter still parked, or to
  // unclaimed_token() with nobody waiting.
  void issue_token() {
    ++tokens_issued_;
    if (!wake_one()) unclaimed_token();
  }
  // Wakes every waiter parked now, without tokens.
  std::size_t wake_all();

  bool empty() const noexcept { return waiting_.empty(); }
  // Tokens held by woken waiters that have not resumed yet.
  std::uint64_t tokens_in_flight() const noexcept;
  std::uint64_t tokens_taken() const noexcept { return tokens_taken_; }
  std::uint64_t tokens_issued() const noexcept { return tokens_issued_; }

 protected:
  ~WakeQueue() = default;
  // A token that no waiter can take (nobody waits): Notify stores a permit.
  virtual void unclaimed_token() = 0;

 private:
  void leave(Waiter& waiter);
  bool take(Waiter& waiter);
  bool wake(bool token);
  bool wake_one() { return wake(true); }

  WaiterList waiting_;
  WaiterList woken_;  // woken, not resumed yet
  std::uint64_t tokens_issued_ = 0;
  std::uint64_t tokens_taken_ = 0;
};

}  // namespace corosim::detail
