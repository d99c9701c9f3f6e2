// Semaphore: counted permits, acquired asynchronously, returned by an RAII
// Permit.
//
// Contract:
// - co_await sem.acquire(n) gives a Permit for n permits; destroying the
//   Permit releases them. Waiters are served strictly in order: a large request
//   at the head blocks smaller ones behind it (no starvation of large requests).
// - release() hands permits to waiters and wakes them; the executor resumes
//   them on a later step. A woken waiter owns its permits from the hand-off.
//   Releasing more than are held throws UsageError.
// - The count of permits can move, as tokio's: add_permits(n) adds new ones
//   (capacity grows), and Permit::forget() keeps its permits from ever coming
//   back (capacity shrinks). That is a counting semaphore used for signals,
//   POSIX's sem_t or Dijkstra's P and V:
//     corosim::Semaphore items(0);              // sem_init(&items, 0, 0)
//     (co_await items.acquire()).forget();      // sem_wait(&items): P
//     items.add_permits(1);                     // sem_post(&items): V
//   A request for more permits than exist waits until they are added.
// - Cancel-safety of acquire(): total. A waiter dropped while queued leaves
//   the queue; one dropped after the hand-off gives its permits back.
// - Ledger: available() + held() == capacity() at every step.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "corosim/runtime/detail/waiter_list.h"
#include "corosim/executor/fiber.h"

namespace corosim {

class Semaphore final : public WaitTarget {
 public:
  explicit Semaphore(std::size_t permits);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  class [[nodiscard]] Permit {
   public:
    Permit() noexcept = default;
    Permit(Semaphore& semaphore, std::size_t count) noexcept : semaphore_(&semaphore), count_(count) {}
    Permit(Permit&& other) noexcept
        : semaphore_(std::exchange(other.semaphore_, nullptr)), count_(std::exchange(other.count_, 0)) {}
    Permit& operator=(Permit&& other) noexcept {
      if (this != &other) {
        release();
        semaphore_ = std::exchange(other.semaphore_, nullptr);
        count_ = std::exchange(other.count_, 0);
      }
      return *this;
    }
    ~Permit() { release(); }
    std::size_t count() const noexcept { return count_; }
    void release() {
      if (semaphore_ != nullptr) std::exchange(semaphore_, nullptr)->release(std::exchange(count_, 0));
    }
    // Consumes the permits: they leave the semaphore for good (a P whose V is
    // an add_permits elsewhere).
    void forget() noexcept {
      if (semaphore_ != nullptr) std::exchange(semaphore_, nullptr)->capacity_ -= std::exchange(count_, 0);
    }

   private:
    Semaphore* semaphore_ = nullptr;
    std::size_t count_ = 0;
  };

  class AcquireAwaiter {
   public:
    static constexpr const char* corosim_what = "semaphore.acquire";
    AcquireAwaiter(Semaphore& semaphore, std::size_t count) noexcept : semaphore_(semaphore), count_(count) {}
    AcquireAwaiter(const AcquireAwaiter&) = delete;
    ~AcquireAwaiter();
    // Granted here or by hand-off, the permits are this awaiter's until
    // await_resume turns them into a Permit; if the frame dies first, the
    // destructor gives them back.
    bool await_ready() {
      granted_ = semaphore_.try_acquire(count_);
      return granted_;
    }
    void await_suspend(std::coroutine_handle<>);
    std::uint32_t corosim_touch() const noexcept { return touch_of(semaphore_.id_, true); }
    Permit await_resume() noexcept {
      taken_ = true;
      return Permit(semaphore_, count_);
    }

   private:
    friend class Semaphore;
    detail::WaiterNode node_;
    Semaphore& semaphore_;
    std::size_t count_;
    bool granted_ = false;
    bool taken_ = false;
  };

  [[nodiscard]] AcquireAwaiter acquire(std::size_t count = 1) noexcept { return {*this, count}; }
  // Takes count permits if they are available and nobody waits before us.
  bool try_acquire(std::size_t count = 1);
  // Gives back permits a Permit-less caller holds; UsageError beyond held().
  void release(std::size_t count = 1);
  // New permits (capacity grows by count), handed to waiters as release does.
  void add_permits(std::size_t count = 1);

  std::size_t available() const noexcept { return available_; }
  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t held() const noexcept { return capacity_ - available_; }
  std::uint32_t id() const noexcept { return id_; }
  void describe(std::string& out) const override;

 private:
  void serve_waiters();

  detail::WaiterList waiters_;
  std::size_t capacity_;
  std::size_t available_;
  std::uint32_t id_;
};

}  // namespace corosim
