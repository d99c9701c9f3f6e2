// Event: a level-triggered flag that fibers wait for.
//
// Contract:
// - set() wakes every waiter; the executor resumes them on later steps. The
//   event stays set until reset(); waiting on a set event does not park.
// - Cancel-safety of wait(): total (a dropped waiter leaves the queue).
#pragma once

#include <coroutine>
#include <cstdint>
#include <string>

#include "corosim/runtime/detail/waiter_list.h"
#include "corosim/executor/fiber.h"

namespace corosim {

class Event final : public WaitTarget {
 public:
  Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  class WaitAwaiter {
   public:
    static constexpr const char* corosim_what = "event.wait";
    explicit WaitAwaiter(Event& event) noexcept : event_(event) {}
    WaitAwaiter(const WaitAwaiter&) = delete;
    ~WaitAwaiter() { detail::unlink_if_queued(node_); }
    static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
    bool await_ready() const noexcept { return event_.set_; }
    void await_suspend(std::coroutine_handle<>);
    void await_resume() const noexcept {}

   private:
    detail::WaiterNode node_;
    Event& event_;
  };

  [[nodiscard]] WaitAwaiter wait() noexcept { return WaitAwaiter(*this); }
  void set();
  void reset() noexcept { set_ = false; }
  bool is_set() const noexcept { return set_; }
  std::uint32_t id() const noexcept { return id_; }
  void describe(std::string& out) const override;

 private:
  detail::WaiterList waiters_;
  std::uint32_t id_;
  bool set_ = false;
};

}  // namespace corosim
