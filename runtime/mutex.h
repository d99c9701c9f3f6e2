// Mutex: an async mutual-exclusion lock with an RAII guard.
//
// Contract:
// - co_await mutex.lock() gives a Mutex::Guard; the guard unlocks when
//   destroyed (or on guard.unlock()).
// - Fair hand-off: unlock() passes ownership to the oldest waiter and wakes
//   it; the executor resumes it on a later step. The new owner holds the lock
//   from the moment of the hand-off, even before it runs.
// - Cancel-safety of lock(): total. A waiter dropped while queued leaves the
//   queue; one dropped after the hand-off but before it resumed passes the lock
//   on to the next waiter.
// - The holder is tracked by fiber id for deadlock reports (the fiber that
//   acquired, even if the guard is later moved). Only a hold still in the
//   guard that lock() made is the holder's alone: a cycle through it is a
//   deadlock as soon as it forms. A hold taken by try_lock(), adopted by
//   Guard(Mutex&) or whose guard was moved may be released by any fiber (a
//   guard handed to a worker, shared with a helper), so a cycle through it
//   is only a deadlock once nothing can run.
// - Ledger: a lock taken by try_lock() and not adopted by a Guard is held by
//   a fiber that still runs. One whose holder ended (dropped or returned)
//   without unlocking — a manual try_lock()/unlock() pair cut by a
//   cancellation — is a "ledger" failure. A guard's hold is the guard's,
//   wherever it was moved: it is released when the guard goes.
#pragma once

#include <coroutine>
#include <cstdint>
#include <string>
#include <utility>

#include <source_location>

#include "corosim/runtime/detail/waiter_list.h"
#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"

namespace corosim {

class Mutex final : public WaitTarget, public Ledger {
 public:
  explicit Mutex(std::source_location created_at = std::source_location::current());
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  class [[nodiscard]] Guard {
   public:
    Guard() noexcept = default;
    // Adopts a lock taken by try_lock().
    explicit Guard(Mutex& mutex) noexcept : mutex_(&mutex) {
      mutex.guarded_ = true;
      loosen();
    }
    Guard(Guard&& other) noexcept : mutex_(std::exchange(other.mutex_, nullptr)) { loosen(); }
    Guard& operator=(Guard&& other) noexcept {
      if (this != &other) {
        unlock();
        mutex_ = std::exchange(other.mutex_, nullptr);
        loosen();
      }
      return *this;
    }
    ~Guard() { unlock(); }
    bool owns_lock() const noexcept { return mutex_ != nullptr; }
    // The mutex this guard holds, or null (a condition variable relocks it).
    Mutex* mutex() const noexcept { return mutex_; }
    void unlock() {
      if (mutex_ != nullptr) std::exchange(mutex_, nullptr)->unlock();
    }

   private:
    friend class Mutex;
    struct Pinned {};
    Guard(Mutex& mutex, Pinned) noexcept : mutex_(&mutex) {}
    // The guard may now be anywhere (a heap object, another fiber's frame).
    void loosen() noexcept {
      if (mutex_ != nullptr) mutex_->pinned_ = false;
    }
    Mutex* mutex_ = nullptr;
  };

  class LockAwaiter {
   public:
    static constexpr const char* corosim_what = "mutex.lock";
    explicit LockAwaiter(Mutex& mutex) noexcept : mutex_(mutex) {}
    LockAwaiter(const LockAwaiter&) = delete;
    ~LockAwaiter();
    // Acquired here or by hand-off, the lock is this awaiter's until
    // await_resume turns it into a Guard; if the frame dies first, the
    // destructor gives it back.
    bool await_ready() {
      granted_ = mutex_.acquire_if_free(true);
      return granted_;
    }
    void await_suspend(std::coroutine_handle<>);
    std::uint32_t corosim_touch() const noexcept { return touch_of(mutex_.id_, true); }
    Guard await_resume() noexcept {
      taken_ = true;
      return Guard(mutex_, Guard::Pinned{});
    }

   private:
    friend class Mutex;
    detail::WaiterNode node_;
    Mutex& mutex_;
    bool granted_ = false;
    bool taken_ = false;
  };

  [[nodiscard]] LockAwaiter lock() noexcept { return LockAwaiter(*this); }
  // Takes the lock if it is free; the caller must unlock() (or wrap it in a Guard).
  bool try_lock();
  void unlock();

  bool is_locked() const noexcept { return locked_; }
  std::uint32_t id() const noexcept { return id_; }
  void describe(std::string& out) const override;
  std::uint32_t holder_id() const noexcept override { return holder_id_; }
  bool holders_exclusive() const noexcept override { return pinned_; }
  void audit(const FiberAlive& alive, std::string& out) const override;

 private:
  // awaited: by lock()'s awaiter, not try_lock().
  bool acquire_if_free(bool awaited);
  void acquired_by(const Fiber* fiber, bool awaited);

  detail::WaiterList waiters_;
  std::uint32_t id_;
  std::uint32_t holder_id_ = kNoFiber;
  bool locked_ = false;
  // The hold is in the guard lock() made, or in a waiter it was handed to:
  // only its holder's progress (or cancellation) can release it.
  bool pinned_ = false;
  // The hold is owned by a guard (wherever it now is) or a waiter it was
  // handed to, whose destructor releases it: not a manual try_lock() hold,
  // which the ledger holds its acquirer to.
  bool guarded_ = false;
};

}  // namespace corosim
