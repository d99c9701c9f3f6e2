// PolledSet<T>: a set of Tasks run together, results taken as they finish —
// Rust's FuturesUnordered (next()) and FuturesOrdered (next_in_order()).
//
// Contract:
// - push(task) adds a member: a fiber of its own. With Polling::driven (the
//   default) members run only while the owner is awaiting next() or
//   next_in_order(); a member woken while the owner does other work waits,
//   snoozed, until the owner awaits the set again (runtime/driver.h) — the
//   semantics that starve Rust's buffered streams, which the snooze checker
//   reports. With Polling::spawned members progress on their own.
// - next() gives the value of a finished member, in the order they finished;
//   next_in_order() the value of the oldest member once it has finished
//   (push order). Both give nullopt (false for T = void) when the set is
//   empty, and rethrow a member's exception (that member is removed).
// - Cancel-safety of next() and next_in_order(): total — members keep their
//   progress and results; awaiting again continues.
// - Destroying the set drops its unfinished members.
#pragma once

#include <algorithm>
#include <deque>
#include <optional>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>

#include "corosim/runtime/driver.h"
#include "corosim/runtime/spawn.h"
#include "corosim/runtime/task.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

template <class T>
class PolledSet final : public CompletionListener, public WaitTarget {
 public:
  using Item = std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>;

  explicit PolledSet(Polling polling = Polling::driven,
                     std::source_location where = std::source_location::current())
      : PolledSet("set", polling, SourceLoc::from(where)) {}
  PolledSet(const char* kind, Polling polling, const SourceLoc& where)
      : driver_(kind, where), where_(where), polling_(polling) {}
  PolledSet(const PolledSet&) = delete;
  PolledSet& operator=(const PolledSet&) = delete;
  ~PolledSet() {
    for (Member& member : members_) member.handle.fiber_record().listener = nullptr;
    members_.clear();  // drops unfinished members while the driver still exists
  }

  void push(Task<T> task, std::source_location where = std::source_location::current()) {
    push_at(std::move(task), SourceLoc::from(where));
  }
  void push_at(Task<T> task, const SourceLoc& where) {
    Driver* driver = polling_ == Polling::driven ? &driver_ : nullptr;
    members_.push_back(Member{detail::start_task(std::move(task), where, driver)});
    Fiber& fiber = members_.back().handle.fiber_record();
    fiber.canceller = Canceller::none;  // cancelled with the set, never on its own
    fiber.listener = this;
  }

  std::size_t size() const noexcept { return members_.size(); }
  bool empty() const noexcept { return members_.empty(); }
  Driver& driver() noexcept { return driver_; }

  // The value of a member that has finished, in completion order.
  Task<Item> next() { return take(false); }
  // The value of the oldest member, once it has finished.
  Task<Item> next_in_order() { return take(true); }

  void on_fiber_done(Fiber& fiber) override {
    finished_.push_back(&fiber);
    if (waiter_ != nullptr && has_item(waiting_in_order_)) {
      driver_.end_poll();
      detail::fiber_wake(*std::exchange(waiter_, nullptr));
    }
  }
  void describe(std::string& out) const override {
    driver_.describe(out);
    out += ", ";
    out += std::to_string(members_.size());
    out += " member(s)";
  }

 private:
  struct Member {
    JoinHandle<T> handle;
  };

  class WaitAwaiter {
   public:
    static constexpr const char* corosim_what = "set.next";
    WaitAwaiter(PolledSet& set, bool in_order) noexcept : set_(set), in_order_(in_order) {}
    WaitAwaiter(const WaitAwaiter&) = delete;
    ~WaitAwaiter() {
      if (registered_ && set_.waiter_ != nullptr) {
        set_.waiter_ = nullptr;
        set_.driver_.end_poll();
      }
    }
    static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
    bool await_ready() const noexcept { return set_.members_.empty() || set_.has_item(in_order_); }
    void await_suspend(std::coroutine_handle<>) {
      Fiber& owner = detail::running_fiber("PolledSet next");
      set_.waiter_ = &owner;
      set_.waiting_in_order_ = in_order_;
      registered_ = true;
      detail::set_waiting_on(&set_);
      set_.driver_.begin_poll(owner);
    }
    void await_resume() noexcept { registered_ = false; }

   private:
    PolledSet& set_;
    bool in_order_;
    bool registered_ = false;
  };

  bool has_item(bool in_order) const noexcept {
    if (in_order) return !members_.empty() && members_.front().handle.is_finished();
    return !finished_.empty();
  }

  Task<Item> take(bool in_order) {
    // Awaited even when a value is ready: taking one is an operation that
    // completed at once, which the hogging checker counts.
    do {
      co_await WaitAwaiter(*this, in_order);
    } while (!members_.empty() && !has_item(in_order));
    if (members_.empty()) co_return Item{};
    Fiber* done = in_order ? &members_.front().handle.fiber_record() : finished_.front();
    auto member = std::find_if(members_.begin(), members_.end(),
                               [done](const Member& m) { return &m.handle.fiber_record() == done; });
    finished_.erase(std::find(finished_.begin(), finished_.end(), done));
    JoinHandle<T> handle = std::move(member->handle);
    members_.erase(member);
    if constexpr (std::is_void_v<T>) {
      handle.take_result();
      co_return true;
    } else {
      co_return Item(handle.take_result());
    }
  }

  Driver driver_;  // declared first: outlives the member fibers
  SourceLoc where_;
  Polling polling_;
  std::deque<Member> members_;   // push order
  std::deque<Fiber*> finished_;  // members that finished, in completion order
  Fiber* waiter_ = nullptr;
  bool waiting_in_order_ = false;
};

}  // namespace corosim
