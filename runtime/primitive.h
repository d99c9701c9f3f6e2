// The kit for writing your own primitive (a condition variable, a rendezvous
// channel, a barrier) with the same standing as corosim's: its waiters park
// at real suspension points, show up by name in deadlock reports and the
// wait-for graph, and every wake-up is a scheduling decision.
//
//   class Gate final : public corosim::WaitTarget {
//    public:
//     corosim::Task<void> pass() {
//       if (open_) co_return;
//       corosim::WaitQueue::Ticket ticket;
//       co_await waiters_.park(ticket);
//     }
//     void open() { open_ = true; waiters_.wake_all(); }
//     void describe(std::string& out) const override { out += "gate#" + std::to_string(id_); }
//    private:
//     std::uint32_t id_ = corosim::new_object_id();
//     corosim::WaitQueue waiters_{*this, "gate.pass"};
//     bool open_ = false;
//   };
//
// Contract (docs/writing-primitives.md):
// - park() always suspends: check your condition before awaiting it. The
//   fiber waits on the queue's target, so a deadlock report reads
//   "waits at file:line in gate.pass on gate#3", with the target's holder
//   (WaitTarget::holder_id) as the next edge of the wait-for graph.
// - wake_one()/wake_all() never resume a waiter inside the call: the waiter
//   becomes ready and the executor resumes it on a later step, from its own
//   call stack. They skip waiters that were interrupted by an injected
//   cancellation (those are already leaving), so a wake-up is never spent on
//   a fiber that will not run on.
// - Cancellation at park(): a waiter dropped or stopped while parked leaves
//   the queue (its Ticket unlinks itself): cancel-safety total. A waiter woken
//   and then cancelled before it resumes (the prompt mode) has consumed the
//   wake-up: Ticket::woken() says so, and a primitive that must not lose it
//   passes it on (see examples/100-condition-variable).
// - Conservation: derive from corosim::Ledger (executor/ledger.h) and
//   implement audit() to have the simulator check your accounts after every
//   injected cancellation and at the end of every run.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>

#include "corosim/executor/fiber.h"
#include "corosim/runtime/detail/waiter_list.h"

namespace corosim {

// The id of the fiber running now (kNoFiber outside one): what a lock-like
// primitive records as its holder for WaitTarget::holder_id().
std::uint32_t current_fiber_id() noexcept;
// A dense id for a new primitive, in creation order (0 outside a run): for
// describe() ("condvar#2"); never derived from an address.
std::uint32_t new_object_id() noexcept;

// Declares what the current fiber's next step touches: the step that begins
// at its next suspension point (awaits that only call a Task do not count)
// and runs to the one after. Strategies that sample partial orders (pos)
// reorder only steps that touch one object with at least one writing, and
// run a step that touches nothing shared without pre-empting it; a step
// nothing is declared for may touch anything undeclared (declare an object's
// accesses all or none). Declare where steps race on memory the runtime
// cannot see:
//
//   corosim::next_step_touches(balance_id_, corosim::Access::write);
//   co_await corosim::yield_now();
//   balance_ += amount;
//
// A primitive's awaiter declares its own (see HasTouch in await_hook.h); a
// declaration made here wins. Outside a fiber both do nothing.
enum class Access : std::uint8_t { read, write };
void next_step_touches(std::uint32_t object, Access access) noexcept;
// The next step touches nothing another fiber's step touches.
void next_step_touches_nothing() noexcept;

class WaitQueue {
 public:
  // target names the primitive in reports; what names the operation
  // ("condvar.wait"). Both must outlive the queue; what is a string literal.
  WaitQueue(const WaitTarget& target, const char* what) noexcept : target_(target), what_(what) {}
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  // A queue destroyed while fibers wait on it is reported (dangling-wait).
  ~WaitQueue() = default;

  // One waiter's place in the queue. Lives in the waiting coroutine's frame
  // (a local of the coroutine that awaits park) and leaves the queue when it
  // is destroyed, so a cancelled waiter never dangles.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { detail::unlink_if_queued(node_); }
    // A wake_one()/wake_all() chose this waiter.
    bool woken() const noexcept { return woken_; }
    // Still in the queue (parked and not yet woken).
    bool queued() const noexcept { return node_.list != nullptr; }

   private:
    friend class WaitQueue;
    detail::WaiterNode node_;
    bool woken_ = false;
  };

  class ParkAwaiter {
   public:
    static constexpr const char* corosim_what = "park";
    ParkAwaiter(WaitQueue& queue, Ticket& ticket) noexcept : queue_(queue), ticket_(ticket) {}
    ParkAwaiter(const ParkAwaiter&) = delete;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>);
    void await_resume() const noexcept {}

   private:
    WaitQueue& queue_;
    Ticket& ticket_;
  };

  // Parks the current fiber at the back of the queue until a wake_one() or
  // wake_all() chooses it. The ticket must not be in a queue already.
  [[nodiscard]] ParkAwaiter park(Ticket& ticket) noexcept { return ParkAwaiter(*this, ticket); }

  // Wakes the oldest waiter still parked; false if there was none.
  bool wake_one();
  // Wakes every waiter parked now; returns how many.
  std::size_t wake_all();
  bool empty() const noexcept { return waiters_.empty(); }

 private:
  detail::WaiterList waiters_;
  const WaitTarget& target_;
  const char* what_;
};

}  // namespace corosim
