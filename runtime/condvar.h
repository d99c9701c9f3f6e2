// CondVar: a condition variable over corosim::Mutex — std::condition_variable_any's
// and Go's sync.Cond's shape, for fibers.
//
//   corosim::Mutex mutex;
//   corosim::CondVar ready;
//   auto guard = co_await mutex.lock();
//   co_await ready.wait(guard, [&] { return !queue.empty(); });
//   ...                                  // elsewhere, holding the lock or not:
//   ready.notify_one();
//
// Contract:
// - co_await cv.wait(guard) releases guard's mutex, parks until notified,
//   and relocks it before returning. Check the condition in a loop (or use
//   the predicate overload): another fiber may take the lock first.
// - notify_one() wakes the oldest waiter, notify_all() every waiter; with
//   nobody waiting a notification does nothing (it is not stored: a fiber
//   that checks its condition under the lock first never misses one).
// - Wake-ups go through the executor (the waiter resumes on a later step).
// - Cancel-safety of wait(): total for the notification — a waiter cancelled
//   while parked leaves the queue; one woken by notify_one() and cancelled
//   before wait() returned (while it relocks, too) passes the notification
//   on to the next waiter. The guard is left unlocked when wait() is
//   cancelled: the frame that holds it is unwinding.
// - Ledger: every notify_one() is taken by a waiter that returned, found
//   nobody waiting, or is in flight to a woken waiter; anything else is a
//   lost wake-up ("ledger" failure).
#pragma once

#include <cstdint>
#include <source_location>
#include <string>

#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/detail/wake_queue.h"
#include "corosim/runtime/mutex.h"
#include "corosim/runtime/task.h"

namespace corosim {

class CondVar final : public WaitTarget, public Ledger, private detail::WakeQueue {
 public:
  explicit CondVar(std::source_location created_at = std::source_location::current());
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // guard must hold a lock (UsageError otherwise).
  Task<void> wait(Mutex::Guard& guard);
  template <class Predicate>
  Task<void> wait(Mutex::Guard& guard, Predicate done) {
    while (!done()) co_await wait(guard);
  }
  void notify_one();
  void notify_all();

  std::uint32_t id() const noexcept { return id_; }
  void describe(std::string& out) const override;
  void audit(const FiberAlive& alive, std::string& out) const override;

 private:
  class Parked;
  void unclaimed_token() override { ++unheard_; }

  std::uint64_t unheard_ = 0;  // notify_one() tokens that found nobody waiting
  std::uint32_t id_;
};

}  // namespace corosim
