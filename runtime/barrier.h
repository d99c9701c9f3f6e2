// Barrier: a fixed number of participants wait for each other, phase after
// phase; std::barrier and tokio's Barrier.
//
//   corosim::Barrier barrier(3);
//   bool leader = co_await barrier.arrive_and_wait();  // true for one of the 3
//
// Contract:
// - A phase completes when `participants` fibers have arrived; the one whose
//   arrival completed it returns at once with true (the leader), the others
//   are woken through the executor and return false. Then the next phase
//   begins, with no arrivals.
// - arrive_and_drop() arrives without waiting and leaves: from the next
//   phase on the barrier expects one participant fewer (std::barrier's).
// - Cancel-safety of arrive_and_wait(): an arrival still waiting is withdrawn
//   when cancelled (the phase still needs that participant): total for drop,
//   stop and interrupt. Cancelled after its phase completed, before it
//   resumed, the arrival has counted — it cannot be undone, others were
//   released by it — and a retry arrives in the next phase: unsafe under
//   prompt (docs/cancel-safety.md).
// - Waiters are named in deadlock reports ("barrier#1 (2 of 3 arrived,
//   phase 0)").
// - Ledger: the arrivals of the current phase are the fibers waiting in it
//   plus those that arrived and dropped; a phase with every participant
//   arrived has completed (no waiter is left behind).
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <source_location>
#include <string>

#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/detail/waiter_list.h"

namespace corosim {

class Barrier final : public WaitTarget, public Ledger {
 public:
  explicit Barrier(std::size_t participants,
                   std::source_location created_at = std::source_location::current());
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  class [[nodiscard]] ArriveAwaiter {
   public:
    static constexpr const char* corosim_what = "barrier.arrive_and_wait";
    explicit ArriveAwaiter(Barrier& barrier) noexcept : barrier_(barrier) {}
    ArriveAwaiter(const ArriveAwaiter&) = delete;
    ArriveAwaiter& operator=(const ArriveAwaiter&) = delete;
    ~ArriveAwaiter();
    // Arrives; true (and no suspension) if this arrival completes the phase.
    bool await_ready();
    void await_suspend(std::coroutine_handle<>);
    bool await_resume() const noexcept { return leader_; }

   private:
    Barrier& barrier_;
    detail::WaiterNode node_;
    bool leader_ = false;
  };

  [[nodiscard]] ArriveAwaiter arrive_and_wait() noexcept { return ArriveAwaiter(*this); }
  void arrive_and_drop();

  std::size_t participants() const noexcept { return expected_; }
  std::size_t arrived() const noexcept { return arrived_; }
  std::uint64_t phase() const noexcept { return phase_; }
  std::uint32_t id() const noexcept { return id_; }
  void describe(std::string& out) const override;
  void audit(const FiberAlive& alive, std::string& out) const override;

 private:
  // Counts an arrival (one that drops out, with drop); completes the phase
  // if it was the last one.
  bool arrive(const char* operation, bool drop);
  void complete_phase();

  detail::WaiterList waiters_;
  std::size_t expected_;
  std::size_t arrived_ = 0;
  std::size_t dropped_ = 0;  // arrivals of this phase by arrive_and_drop()
  std::uint64_t phase_ = 0;
  std::uint32_t id_;
};

}  // namespace corosim
