// Broadcast<T>: every receiver sees every value sent after it subscribed;
// tokio's broadcast channel, a bounded ring.
//
//   corosim::Broadcast<Event> events(16);   // keeps the last 16 values
//   auto rx = events.subscribe();           // sees values sent from now on
//   events.send(e);                         // never waits
//   for (;;) {
//     auto got = co_await rx.recv();
//     if (got.closed()) break;
//     if (got.missed > 0) { resync(got.missed); continue; }
//     use(*got.value);
//   }
//
// Contract:
// - send(v) appends v and wakes every waiting receiver; it never waits and
//   returns how many receivers will see v. When the ring is full the oldest
//   value goes, read or not: a slow receiver lags rather than slowing the
//   sender. With no receiver, v is dropped (0). send after close() is a
//   UsageError.
// - recv() returns the receiver's next value (a copy: T is copied once per
//   receiver), parking until one is sent. A receiver whose next values were
//   dropped gets, once, a result with missed = how many and no value (tokio's
//   RecvError::Lagged); its next recv() returns the oldest value still kept.
//   After close(), receivers drain what is kept for them, then get closed().
// - Receivers are handles, movable, each with its own position; the
//   Broadcast must outlive them.
// - Cancel-safety of recv(): total — the position moves only when the caller
//   resumes with the value (or the lag report).
// - Waiters are named in deadlock reports ("broadcast#2.recv").
// - Ledger: each value is owed once to every receiver subscribed when it was
//   sent: owed == delivered + missed (lag) + left unread by receivers that
//   went away + still pending; and no receiver waits while a value or the
//   close is there for it (a lost wake-up).
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <source_location>
#include <string>
#include <utility>
#include <vector>

#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/detail/likely_partner.h"
#include "corosim/runtime/detail/waiter_list.h"

namespace corosim {

namespace detail {

// The positions, accounts and waiters of a Broadcast, apart from its values.
// Positions are sequence numbers: the ring holds [head_seq_, next_seq_).
class BroadcastState : public LikelyPartner, public Ledger {
 public:
  BroadcastState(const BroadcastState&) = delete;
  BroadcastState& operator=(const BroadcastState&) = delete;

  // What a receiver's next recv() finds at its position.
  enum class Next : std::uint8_t { nothing, lagged, value, closed };
  Next next_for(std::uint64_t position) const noexcept {
    if (position < head_seq_) return Next::lagged;
    if (position < next_seq_) return Next::value;
    return closed_ ? Next::closed : Next::nothing;
  }
  bool is_closed() const noexcept { return closed_; }
  std::size_t receiver_count() const noexcept { return receivers_; }
  void close();
  void describe(std::string& out) const override;
  void audit(const FiberAlive& alive, std::string& out) const override;

 protected:
  BroadcastState(std::size_t capacity, const SourceLoc& created_at);
  ~BroadcastState() = default;

  // A receiver's position lives here, in a slot (stable while it is
  // subscribed), so that the ledger counts what each has really read.
  std::size_t subscribed();
  void unsubscribed(std::size_t slot) noexcept;
  std::uint64_t& position(std::size_t slot) noexcept { return positions_[slot]; }
  // A value goes in (true), or is dropped for want of receivers (false);
  // on true the caller stores it and, if over capacity, drops the oldest.
  bool admit();
  bool over_capacity() const noexcept { return next_seq_ - head_seq_ > capacity_; }
  void dropped_oldest() noexcept { ++head_seq_; }
  // Moves a position past what it took: a lag report (returns the count
  // missed) or one value.
  std::uint64_t skip_lag(std::uint64_t& position);
  void delivered(std::uint64_t& position);
  std::uint64_t head_seq() const noexcept { return head_seq_; }
  std::uint64_t next_seq() const noexcept { return next_seq_; }
  void park(WaiterNode& node, std::size_t slot);

 private:
  static constexpr std::uint64_t kFreeSlot = ~std::uint64_t{0};

  WaiterList waiters_;                   // node.owner: the waiting receiver's position
  std::deque<std::uint64_t> positions_;  // per slot; kFreeSlot when unused
  std::vector<std::size_t> free_slots_;
  std::size_t capacity_;
  std::uint64_t head_seq_ = 0;
  std::uint64_t next_seq_ = 0;
  std::size_t receivers_ = 0;
  std::uint64_t owed_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t missed_ = 0;
  std::uint64_t abandoned_ = 0;
  std::uint32_t id_;
  bool closed_ = false;
};

}  // namespace detail

template <class T>
class Broadcast final : public detail::BroadcastState {
 public:
  // capacity: how many values are kept for slow receivers (at least 1).
  explicit Broadcast(std::size_t capacity, std::source_location created_at = std::source_location::current())
      : BroadcastState(capacity, SourceLoc::from(created_at)) {}

  // One recv(): a value, a lag report, or the end.
  struct Received {
    std::optional<T> value;
    std::uint64_t missed = 0;  // > 0: this many values were dropped before this receiver read them
    bool closed() const noexcept { return !value && missed == 0; }
  };

  class Receiver;
  class [[nodiscard]] RecvAwaiter {
   public:
    static constexpr const char* corosim_what = "broadcast.recv";
    explicit RecvAwaiter(Receiver& receiver) noexcept : receiver_(receiver) {}
    RecvAwaiter(const RecvAwaiter&) = delete;
    RecvAwaiter& operator=(const RecvAwaiter&) = delete;
    ~RecvAwaiter() { unlink_if_queued(node_); }
    static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
    bool await_ready() const noexcept {
      return receiver_.broadcast_->next_for(receiver_.broadcast_->position(receiver_.slot_)) != Next::nothing;
    }
    void await_suspend(std::coroutine_handle<>) { receiver_.broadcast_->park(node_, receiver_.slot_); }
    Received await_resume() { return receiver_.broadcast_->take(receiver_.slot_); }

   private:
    Receiver& receiver_;
    detail::WaiterNode node_;
  };

  class Receiver {
   public:
    Receiver(Receiver&& other) noexcept
        : broadcast_(std::exchange(other.broadcast_, nullptr)), slot_(other.slot_) {}
    Receiver& operator=(Receiver&& other) noexcept {
      if (this != &other) {
        leave();
        broadcast_ = std::exchange(other.broadcast_, nullptr);
        slot_ = other.slot_;
      }
      return *this;
    }
    ~Receiver() { leave(); }

    [[nodiscard]] RecvAwaiter recv() noexcept { return RecvAwaiter(*this); }
    // Values sent that this receiver has not read (dropped ones included).
    std::uint64_t pending() const noexcept { return broadcast_->next_seq() - broadcast_->position(slot_); }

   private:
    friend class Broadcast;
    friend class RecvAwaiter;
    Receiver(Broadcast& broadcast, std::size_t slot) noexcept : broadcast_(&broadcast), slot_(slot) {}
    void leave() noexcept {
      if (broadcast_ != nullptr) std::exchange(broadcast_, nullptr)->unsubscribed(slot_);
    }
    Broadcast* broadcast_;
    std::size_t slot_;
  };

  // A receiver that sees the values sent from now on.
  Receiver subscribe() { return Receiver(*this, subscribed()); }
  // How many receivers will see value (0: none, it was dropped).
  std::size_t send(T value) {
    if (!admit()) return 0;
    ring_.push_back(std::move(value));
    if (over_capacity()) {
      ring_.pop_front();
      dropped_oldest();
    }
    return receiver_count();
  }

 private:
  Received take(std::size_t slot) {
    std::uint64_t& at = position(slot);
    Received got;
    switch (next_for(at)) {
      case Next::lagged: got.missed = skip_lag(at); break;
      case Next::value:
        got.value = ring_[at - head_seq()];
        delivered(at);
        break;
      case Next::closed: break;
      case Next::nothing: assert(false && "a receiver resumed with nothing for it"); break;
    }
    return got;
  }

  std::deque<T> ring_;
};

}  // namespace corosim
