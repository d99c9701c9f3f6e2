// Watch<T>: a cell holding the latest value, with change notification;
// tokio's watch channel.
//
//   corosim::Watch<Config> config(initial);
//   auto rx = config.subscribe();               // sees changes from now on
//   config.send(next);                          // replaces the value, wakes receivers
//   for (;;) {
//     const bool changed = co_await rx.changed();  // false once closed
//     if (!changed) break;  // (bound first: g++ 12 miscompiles a co_await as a condition)
//     use(rx.borrow_and_update());
//   }
//
// Contract:
// - send() replaces the value and bumps its version; it never waits. Values
//   in between are not queued: a receiver sees the latest one (a watch, not a
//   queue).
// - A receiver remembers the version it has seen. changed() completes at
//   once if a newer version exists, else parks until send() or close();
//   it returns true for a change, false if the watch is closed and nothing
//   new is left. borrow_and_update() reads the value and marks it seen;
//   borrow() reads it without marking.
// - Receivers are handles; the watch outlives none of them (destroying a
//   Watch while a receiver waits is a dangling wait, reported).
// - Cancel-safety of changed(): total — nothing is marked seen until the
//   caller reads with borrow_and_update().
// - Waiters are named in deadlock reports ("watch#2.changed").
// - Ledger: no receiver waits while a version it has not seen exists, or
//   after close (a lost wake-up).
#pragma once

#include <coroutine>
#include <cstdint>
#include <source_location>
#include <string>
#include <utility>

#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/detail/likely_partner.h"
#include "corosim/runtime/detail/waiter_list.h"

namespace corosim {

namespace detail {

// The versioning and waiting of a Watch, apart from its value.
class WatchState : public LikelyPartner, public Ledger {
 public:
  WatchState(const WatchState&) = delete;
  WatchState& operator=(const WatchState&) = delete;

  class [[nodiscard]] ChangedAwaiter {
   public:
    static constexpr const char* corosim_what = "watch.changed";
    ChangedAwaiter(WatchState& state, const std::uint64_t& seen) noexcept : state_(state), seen_(seen) {}
    ChangedAwaiter(const ChangedAwaiter&) = delete;
    ChangedAwaiter& operator=(const ChangedAwaiter&) = delete;
    ~ChangedAwaiter() { unlink_if_queued(node_); }
    static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
    bool await_ready() const noexcept { return state_.version_ != seen_ || state_.closed_; }
    void await_suspend(std::coroutine_handle<>);
    bool await_resume() const noexcept { return state_.version_ != seen_; }

   private:
    friend class WatchState;
    WatchState& state_;
    const std::uint64_t& seen_;
    WaiterNode node_;
  };

  std::uint64_t version() const noexcept { return version_; }
  bool is_closed() const noexcept { return closed_; }
  void close();
  void describe(std::string& out) const override;
  void audit(const FiberAlive& alive, std::string& out) const override;

 protected:
  explicit WatchState(const SourceLoc& created_at);
  ~WatchState() = default;
  // A new value is in: version bumped, every waiter woken.
  void changed();

 private:
  WaiterList waiters_;
  std::uint64_t version_ = 0;
  std::uint32_t id_;
  bool closed_ = false;
};

}  // namespace detail

template <class T>
class Watch final : public detail::WatchState {
 public:
  explicit Watch(T initial, std::source_location created_at = std::source_location::current())
      : WatchState(SourceLoc::from(created_at)), value_(std::move(initial)) {}

  class Receiver {
   public:
    // Changed since this receiver last marked the value seen (true), or
    // closed with nothing new (false).
    [[nodiscard]] ChangedAwaiter changed() noexcept { return ChangedAwaiter(*watch_, seen_); }
    const T& borrow() const noexcept { return watch_->value_; }
    const T& borrow_and_update() noexcept {
      seen_ = watch_->version();
      return watch_->value_;
    }
    bool has_changed() const noexcept { return seen_ != watch_->version(); }

   private:
    friend class Watch;
    Receiver(Watch& watch, std::uint64_t seen) noexcept : watch_(&watch), seen_(seen) {}
    Watch* watch_;
    std::uint64_t seen_;
  };

  // A receiver that has seen the current value.
  Receiver subscribe() noexcept { return Receiver(*this, version()); }
  void send(T value) {
    value_ = std::move(value);
    changed();
  }
  const T& borrow() const noexcept { return value_; }

 private:
  T value_;
};

}  // namespace corosim
