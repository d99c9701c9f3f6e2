// RWMutex: a reader-writer lock — many readers or one writer — with RAII
// guards; Go's sync.RWMutex, tokio's RwLock, std::shared_mutex.
//
//   corosim::RWMutex lock;
//   { auto reading = co_await lock.read(); ... }   // shared with other readers
//   { auto writing = co_await lock.write(); ... }  // alone
//
// Contract:
// - Writer-preferring and fair, as Go's and tokio's: waiters are served in
//   arrival order, and a waiting writer blocks every reader that comes after
//   it, even while other readers hold the lock (so writers are not starved).
//   Consecutive waiting readers are admitted together. Hence the classic
//   deadlock this primitive exists to let you find: a fiber that holds a read
//   lock and asks for another one behind a queued writer waits for the
//   writer, which waits for it.
// - Hand-off: release() passes the lock to the waiters now due and wakes
//   them; the executor resumes them on a later step. They hold the lock from
//   the hand-off.
// - try_read()/try_write() take the lock only if they would not wait (nobody
//   queued, nothing conflicting held).
// - Cancel-safety of read() and write(): total. A waiter cancelled while
//   queued leaves the queue (readers behind it may become due); one cancelled
//   after the hand-off, before it resumed, releases what it was given.
// - Deadlock reports name each waiter's edges: a writer waits for every
//   holder and every waiter queued ahead of it; a reader for the writer that
//   holds the lock and the writers queued ahead of it. A cycle through them
//   is a deadlock as soon as it forms only while every hold is in the guard
//   read() or write() made: a hold taken by try_read()/try_write(), or whose
//   guard was moved, may be released by any fiber, so a cycle through it is
//   only a deadlock once nothing can run.
// - Ledger (after injected cancellations and at the end of a run): every
//   granted hold is owned by a guard or by a waiter about to resume, and no
//   waiter at the head of the queue could be admitted (a lost wake-up).
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <source_location>
#include <string>
#include <utility>
#include <vector>

#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/detail/waiter_list.h"

namespace corosim {

class RWMutex final : public Ledger {
 public:
  explicit RWMutex(std::source_location created_at = std::source_location::current());
  RWMutex(const RWMutex&) = delete;
  RWMutex& operator=(const RWMutex&) = delete;

  enum class Mode : std::uint8_t { read, write };

  // Holds the lock in one mode until destroyed or release()d. Movable
  // between fibers; the hold stays accounted to the fiber that acquired it.
  template <Mode kMode>
  class [[nodiscard]] Guard {
   public:
    Guard() noexcept = default;
    Guard(Guard&& other) noexcept : mutex_(std::exchange(other.mutex_, nullptr)), holder_(other.holder_) {
      take_looseness(other);
    }
    Guard& operator=(Guard&& other) noexcept {
      if (this != &other) {
        release();
        mutex_ = std::exchange(other.mutex_, nullptr);
        holder_ = other.holder_;
        take_looseness(other);
      }
      return *this;
    }
    ~Guard() { release(); }
    bool owns_lock() const noexcept { return mutex_ != nullptr; }
    void release() {
      if (mutex_ == nullptr) return;
      if (loose_) --mutex_->loose_holds_;
      loose_ = false;
      std::exchange(mutex_, nullptr)->release(kMode, holder_, true);
    }

   private:
    friend class RWMutex;
    Guard(RWMutex& mutex, std::uint32_t holder, bool loose) noexcept
        : mutex_(&mutex), holder_(holder), loose_(loose) {
      ++mutex.guards_;
      if (loose) ++mutex.loose_holds_;
    }
    // Moved, the guard may now be anywhere (a heap object, another fiber's
    // frame): its hold is loose from now on.
    void take_looseness(Guard& other) noexcept {
      const bool was_loose = std::exchange(other.loose_, false);
      loose_ = mutex_ != nullptr;
      if (loose_ && !was_loose) ++mutex_->loose_holds_;
    }
    RWMutex* mutex_ = nullptr;
    std::uint32_t holder_ = kNoFiber;
    bool loose_ = false;  // counted in the mutex's loose_holds_
  };
  using ReadGuard = Guard<Mode::read>;
  using WriteGuard = Guard<Mode::write>;

  // One queued read() or write(): the wait-for target of its fiber, whose
  // edges depend on where it stands in the queue.
  class Waiter : public WaitTarget {
   public:
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    void describe(std::string& out) const override;
    void holder_ids(std::vector<std::uint32_t>& out) const override;
    bool holders_exclusive() const noexcept override { return mutex_.loose_holds_ == 0; }

   protected:
    Waiter(RWMutex& mutex, Mode mode) noexcept : mutex_(mutex), mode_(mode) {}
    ~Waiter();
    // Granted here or by hand-off, the hold is this waiter's until taken()
    // turns it into a guard; if the frame dies first the destructor releases it.
    bool ready();
    void suspend(const char* what);
    std::uint32_t taken() noexcept {
      taken_ = true;
      --mutex_.in_flight_;
      return holder_;
    }
    RWMutex& mutex_;

   private:
    friend class RWMutex;
    detail::WaiterNode node_;
    Mode mode_;
    bool granted_ = false;
    bool taken_ = false;
    std::uint32_t holder_ = kNoFiber;
  };

  class ReadAwaiter final : public Waiter {
   public:
    static constexpr const char* corosim_what = "rwmutex.read";
    explicit ReadAwaiter(RWMutex& mutex) noexcept : Waiter(mutex, Mode::read) {}
    bool await_ready() { return ready(); }
    void await_suspend(std::coroutine_handle<>) { suspend(corosim_what); }
    std::uint32_t corosim_touch() const noexcept { return touch_of(mutex_.id_, false); }
    ReadGuard await_resume() noexcept { return ReadGuard(mutex_, taken(), false); }
  };

  class WriteAwaiter final : public Waiter {
   public:
    static constexpr const char* corosim_what = "rwmutex.write";
    explicit WriteAwaiter(RWMutex& mutex) noexcept : Waiter(mutex, Mode::write) {}
    bool await_ready() { return ready(); }
    void await_suspend(std::coroutine_handle<>) { suspend(corosim_what); }
    std::uint32_t corosim_touch() const noexcept { return touch_of(mutex_.id_, true); }
    WriteGuard await_resume() noexcept { return WriteGuard(mutex_, taken(), false); }
  };

  [[nodiscard]] ReadAwaiter read() noexcept { return ReadAwaiter(*this); }
  [[nodiscard]] WriteAwaiter write() noexcept { return WriteAwaiter(*this); }
  std::optional<ReadGuard> try_read();
  std::optional<WriteGuard> try_write();

  std::size_t readers() const noexcept { return readers_.size(); }
  bool write_locked() const noexcept { return writer_ != kFree; }
  bool is_locked() const noexcept { return write_locked() || !readers_.empty(); }
  std::uint32_t id() const noexcept { return id_; }
  // "rwmutex#3 (read-locked by fibers 1, 2)"
  void describe(std::string& out) const;
  void audit(const FiberAlive& alive, std::string& out) const override;

 private:
  static constexpr std::uint64_t kFree = ~std::uint64_t{0};

  bool admits(Mode mode) const noexcept;
  void grant(Mode mode, const Fiber* fiber);
  void release(Mode mode, std::uint32_t holder, bool guarded);
  void serve_waiters();

  detail::WaiterList waiters_;
  std::vector<std::uint32_t> readers_;  // read holders in grant order (a fiber once per hold)
  std::uint64_t writer_ = kFree;        // the write holder's fiber id
  std::uint64_t guards_ = 0;            // holds owned by a live guard
  std::uint64_t in_flight_ = 0;         // holds granted to waiters that have not resumed
  // Guarded holds that any fiber may release: taken by try_read/try_write,
  // or in a guard that was moved.
  std::uint64_t loose_holds_ = 0;
  std::uint32_t id_;
};

}  // namespace corosim
