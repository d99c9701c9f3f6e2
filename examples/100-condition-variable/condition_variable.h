// A condition variable written on corosim's primitive kit
// (<corosim/runtime/primitive.h>) alone, as a user would write their own.
//
// Contract:
// - co_await cv.wait(guard) releases guard's mutex, parks until notified,
//   and relocks before it returns. Wake-ups may be spurious: wait in a loop
//   that checks the condition.
// - notify_one() wakes the oldest waiter, notify_all() every waiter; neither
//   resumes a waiter inside the call (the executor does, on a later step).
// - Cancellation: a waiter cancelled while parked leaves the queue. A waiter
//   notified and then cancelled before wait() returned (the prompt mode, or a
//   drop while it relocks) passes the notification on to the next waiter, so
//   a notify_one() is never lost while someone waits. The deliberately broken
//   variant (PassOn::no) drops it instead: the lost-wake-up bug that the
//   cancellation sweep finds.
#pragma once

#include <cstdint>
#include <string>

#include <corosim/runtime/mutex.h>
#include <corosim/runtime/primitive.h>
#include <corosim/runtime/task.h>

namespace example {

enum class PassOn : bool { no, yes };

template <PassOn pass_on = PassOn::yes>
class BasicConditionVariable final : public corosim::WaitTarget {
 public:
  BasicConditionVariable() = default;
  BasicConditionVariable(const BasicConditionVariable&) = delete;
  BasicConditionVariable& operator=(const BasicConditionVariable&) = delete;

  corosim::Task<void> wait(corosim::Mutex::Guard& guard) {
    corosim::Mutex& mutex = *guard.mutex();
    guard.unlock();
    Waiting waiting(*this);
    co_await waiters_.park(waiting.ticket);
    guard = co_await mutex.lock();
    waiting.returned = true;
  }

  void notify_one() { waiters_.wake_one(); }
  void notify_all() { waiters_.wake_all(); }

  void describe(std::string& out) const override { out += "condvar#" + std::to_string(id_); }

 private:
  // Lives in the waiter's frame: its destructor runs however wait() ends.
  struct Waiting {
    explicit Waiting(BasicConditionVariable& waited) noexcept : cv(waited) {}
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;
    ~Waiting() {
      if (pass_on == PassOn::yes && ticket.woken() && !returned) cv.waiters_.wake_one();
    }
    BasicConditionVariable& cv;
    corosim::WaitQueue::Ticket ticket;
    bool returned = false;
  };

  std::uint32_t id_ = corosim::new_object_id();
  corosim::WaitQueue waiters_{*this, "condvar.wait"};
};

using ConditionVariable = BasicConditionVariable<PassOn::yes>;

}  // namespace example
