// Channel<T>: a multi-producer single-consumer queue, bounded or unbounded.
//
//   auto [tx, rx] = corosim::channel<int>(4);   // bounded, 4 slots
//   auto [tx, rx] = corosim::unbounded_channel<int>();
//
// Contract:
// - co_await tx.send(v) returns true once v is in the channel (parking while a
//   bounded channel is full), false if the channel is closed or the receiver is
//   gone (v is then discarded). Waiting senders are served in order: when a
//   slot frees, the oldest waiting sender's value moves in and it is woken.
// - co_await rx.recv() returns the oldest item, or nullopt once the channel is
//   closed (close(), or every Sender destroyed) and empty: the end of the stream.
// - One consumer: a second fiber awaiting recv() while one already waits
//   throws UsageError there (in every build type), failing the run. Workers
//   that share a queue use Chan (chan.h): multi-producer, multi-consumer.
// - Wake-ups go through the executor; nothing resumes inline.
// - co_await tx.reserve() waits for a free slot and returns a SendPermit
//   (nullopt if the channel is closed); permit.send(v) then sends without
//   suspending. Reserve-then-send is how a sender stays cancel safe when the
//   value must not be lost: nothing is consumed until the slot is there.
// - Cancel-safety: recv() is total — the item stays in the channel until the
//   receiver resumes and takes it. reserve() is total (a dropped reservation
//   frees its slot). send() is not: dropped while parked, the value is
//   destroyed with the frame; dropped after the hand-off (prompt), it was sent
//   although the sender never learns it.
// - Ledger (audited after injected cancellations and at the end of a run):
//   sent() == received() + size(); items still buffered when the receiver
//   went away count as returned undelivered.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <source_location>

#include "corosim/runtime/detail/likely_partner.h"
#include "corosim/runtime/detail/ring.h"
#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/detail/waiter_list.h"
#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

namespace detail {

template <class T>
class ChannelState final : public LikelyPartner, public Ledger {
 public:
  ChannelState(std::size_t capacity, const std::source_location& created_at)
      : Ledger(SourceLoc::from(created_at)), capacity_(capacity), id_(new_object_id()) {}

  // Every item sent is received, still buffered, or was in the buffer when
  // the receiver went away (returned undelivered); a bounded channel never
  // holds more than its capacity, reservations included.
  void audit(const FiberAlive&, std::string& out) const override {
    const std::uint64_t accounted = received_ + buffer_.size();
    if (sent_ != accounted) {
      out += "channel#" + std::to_string(id_) + " sent " + std::to_string(sent_) +
             " items but accounts for " + std::to_string(accounted) + " (received + buffered)";
    } else if (capacity_ != 0 && buffer_.size() + reserved_ > capacity_) {
      out += "channel#" + std::to_string(id_) + " holds " + std::to_string(buffer_.size()) + " items and " +
             std::to_string(reserved_) + " reservations beyond its capacity " + std::to_string(capacity_);
    }
  }

  bool accepting() const noexcept { return !closed_ && receiver_alive_; }
  bool has_room() const noexcept {
    return send_waiters_.empty() && (capacity_ == 0 || buffer_.size() + reserved_ < capacity_);
  }
  // A reservation made by reserve(): counted as a used slot until released.
  void reserve_slot() noexcept { ++reserved_; }
  void release_slot() {
    assert(reserved_ > 0);
    --reserved_;
    serve_one_sender();
  }
  // Sends on a reserved slot; false (value dropped) if the channel closed meanwhile.
  bool send_reserved(T value) {
    assert(reserved_ > 0);
    --reserved_;
    if (!accepting()) return false;
    push(std::move(value));
    return true;
  }

  void push(T value) {
    buffer_.push_back(std::move(value));
    ++sent_;
    note_sender();
    trace_current(TraceKind::channel_send, id_, sent_);
    if (!receiver_.empty()) fiber_wake(*receiver_.pop_front().fiber);
  }
  // push() on behalf of a parked sender being served (traced as its send).
  void push_from(Fiber& sender, T value);

  std::optional<T> pop() {
    if (buffer_.empty()) return std::nullopt;
    T item = std::move(buffer_.front());
    buffer_.pop_front();
    ++received_;
    note_receiver();
    trace_current(TraceKind::channel_recv, id_, received_);
    serve_one_sender();
    return item;
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    trace_current(TraceKind::channel_close, id_);
    wake_everyone();
  }

  void sender_added() noexcept { ++senders_; }
  void sender_gone() {
    assert(senders_ > 0);
    if (--senders_ == 0) close();
  }
  void receiver_gone() {
    receiver_alive_ = false;
    wake_everyone();
  }

  void describe(std::string& out) const override {
    out += "channel#";
    out += std::to_string(id_);
  }
  Side waiting_side() const noexcept override {
    return !receiver_.empty() ? Side::receivers : !send_waiters_.empty() ? Side::senders : Side::nobody;
  }

  std::size_t size() const noexcept { return buffer_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }
  bool closed() const noexcept { return closed_; }
  std::uint64_t sent() const noexcept { return sent_; }
  std::uint64_t received() const noexcept { return received_; }

  WaiterList receiver_;      // at most one: single consumer
  WaiterList send_waiters_;  // nodes owned by SlotWaiter<T>s (send and reserve)

 private:
  void serve_one_sender();
  void wake_everyone();

  Ring<T> buffer_;
  std::size_t capacity_;  // 0: unbounded
  std::size_t senders_ = 0;
  std::size_t reserved_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  std::uint32_t id_;
  bool closed_ = false;
  bool receiver_alive_ = true;
};

// A sender parked for a free slot; given one, in order, by serve_one_sender.
template <class T>
class SlotWaiter {
 public:
  virtual void take_slot() = 0;
  WaiterNode node_;

 protected:
  ~SlotWaiter() = default;
  // Parks the current fiber in the channel's queue of senders.
  void wait_for_slot(ChannelState<T>& state) {
    node_.owner = this;
    state.send_waiters_.push_back(node_, running_fiber("channel send"));
    set_waiting_on(&state);
  }
};

template <class T>
class SendAwaiter final : public SlotWaiter<T> {
 public:
  static constexpr const char* corosim_what = "channel.send";
  SendAwaiter(ChannelState<T>& state, T value) : state_(state), value_(std::move(value)) {}
  SendAwaiter(const SendAwaiter&) = delete;
  ~SendAwaiter() { unlink_if_queued(this->node_); }

  // Inline into the hook's (itself inline in the awaiting coroutine): as a
  // call, its register saves were a tenth of a send.
  [[gnu::always_inline]] bool await_ready() {
    if (!state_.accepting()) return true;  // result_ stays false
    if (!state_.has_room()) return false;
    state_.push(std::move(*value_));
    result_ = true;
    return true;
  }
  void await_suspend(std::coroutine_handle<>) { this->wait_for_slot(state_); }
  bool await_resume() noexcept { return result_; }

  void take_slot() override {
    Fiber& fiber = *this->node_.fiber;
    state_.push_from(fiber, std::move(*value_));
    result_ = true;
  }

 private:
  ChannelState<T>& state_;
  std::optional<T> value_;
  bool result_ = false;
};

template <class T>
class SendPermit {
 public:
  explicit SendPermit(ChannelState<T>& state) noexcept : state_(&state) {}
  SendPermit(SendPermit&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  SendPermit& operator=(SendPermit&& other) noexcept {
    if (this != &other) {
      release();
      state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
  }
  ~SendPermit() { release(); }

  // Sends on the reserved slot, without suspending. False if the channel
  // closed since the reservation (the value is dropped).
  bool send(T value) {
    assert(state_ != nullptr && "a SendPermit sends once");
    return std::exchange(state_, nullptr)->send_reserved(std::move(value));
  }

 private:
  void release() {
    if (state_ != nullptr) std::exchange(state_, nullptr)->release_slot();
  }
  ChannelState<T>* state_;
};

template <class T>
class ReserveAwaiter final : public SlotWaiter<T> {
 public:
  static constexpr const char* corosim_what = "channel.reserve";
  explicit ReserveAwaiter(ChannelState<T>& state) noexcept : state_(state) {}
  ReserveAwaiter(const ReserveAwaiter&) = delete;
  ~ReserveAwaiter() {
    unlink_if_queued(this->node_);
    if (granted_ && !taken_) state_.release_slot();  // dropped holding a slot: give it back
  }

  bool await_ready() {
    if (!state_.accepting()) return true;  // nullopt
    if (!state_.has_room()) return false;
    state_.reserve_slot();
    granted_ = true;
    return true;
  }
  void await_suspend(std::coroutine_handle<>) { this->wait_for_slot(state_); }
  std::optional<SendPermit<T>> await_resume() {
    if (!granted_) return std::nullopt;
    taken_ = true;
    return SendPermit<T>(state_);
  }

  void take_slot() override {
    state_.reserve_slot();
    granted_ = true;
  }

 private:
  ChannelState<T>& state_;
  bool granted_ = false;
  bool taken_ = false;
};

template <class T>
void ChannelState<T>::serve_one_sender() {
  if (send_waiters_.empty() || !accepting()) return;
  if (capacity_ != 0 && buffer_.size() + reserved_ >= capacity_) return;
  WaiterNode& node = send_waiters_.pop_front();
  static_cast<SlotWaiter<T>*>(node.owner)->take_slot();
  fiber_wake(*node.fiber);
}

template <class T>
void ChannelState<T>::push_from(Fiber& sender, T value) {
  buffer_.push_back(std::move(value));
  ++sent_;
  note_sender(&sender);
  sender.executor->trace(TraceKind::channel_send, &sender, id_, sent_);
  if (!receiver_.empty()) fiber_wake(*receiver_.pop_front().fiber);
}

template <class T>
void ChannelState<T>::wake_everyone() {
  send_waiters_.wake_all();
  receiver_.wake_all();
}

template <class T>
class RecvAwaiter {
 public:
  static constexpr const char* corosim_what = "channel.recv";
  explicit RecvAwaiter(ChannelState<T>& state) noexcept : state_(state) {}
  RecvAwaiter(const RecvAwaiter&) = delete;
  ~RecvAwaiter() { unlink_if_queued(node_); }

  static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
  bool await_ready() const noexcept { return state_.size() > 0 || state_.closed(); }
  void await_suspend(std::coroutine_handle<>) {
    if (!state_.receiver_.empty()) reject_second_receiver();
    state_.receiver_.push_back(node_, running_fiber("channel recv"));
    set_waiting_on(&state_);
  }
  std::optional<T> await_resume() { return state_.pop(); }

 private:
  // In every build type: a second consumer is a bug in the program, thrown
  // at its recv() so that the run fails there (escaped-exception) with why.
  [[noreturn]] void reject_second_receiver() const {
    std::string name;
    state_.describe(name);
    throw UsageError("two fibers receive from " + name +
                     " at once: a channel has one consumer (multi-producer, single-consumer); for "
                     "workers sharing a queue use corosim::Chan (<corosim/runtime/chan.h>, "
                     "multi-consumer), or give each worker its own channel");
  }

  WaiterNode node_;
  ChannelState<T>& state_;
};

}  // namespace detail

template <class T>
class Sender {
 public:
  explicit Sender(std::shared_ptr<detail::ChannelState<T>> state) : state_(std::move(state)) {
    state_->sender_added();
  }
  Sender(const Sender& other) : Sender(other.state_) {}
  Sender(Sender&& other) noexcept = default;
  Sender& operator=(Sender other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~Sender() {
    if (state_) state_->sender_gone();
  }

  [[nodiscard]] detail::SendAwaiter<T> send(T value) { return {*state_, std::move(value)}; }
  [[nodiscard]] detail::ReserveAwaiter<T> reserve() noexcept { return detail::ReserveAwaiter<T>(*state_); }
  // Sends without waiting; false if full, closed or the receiver is gone.
  bool try_send(T value) {
    if (!state_->accepting() || !state_->has_room()) return false;
    state_->push(std::move(value));
    return true;
  }
  // Closes the channel for every sender; the receiver drains what is buffered.
  void close() { state_->close(); }
  bool is_closed() const noexcept { return !state_->accepting(); }

 private:
  std::shared_ptr<detail::ChannelState<T>> state_;
};

template <class T>
class Receiver {
 public:
  explicit Receiver(std::shared_ptr<detail::ChannelState<T>> state) : state_(std::move(state)) {}
  Receiver(Receiver&&) noexcept = default;
  Receiver& operator=(Receiver&&) noexcept = default;
  ~Receiver() {
    if (state_) state_->receiver_gone();
  }

  [[nodiscard]] detail::RecvAwaiter<T> recv() noexcept { return detail::RecvAwaiter<T>(*state_); }
  std::optional<T> try_recv() { return state_->pop(); }
  // Refuses further sends; buffered items can still be received.
  void close() { state_->close(); }

  std::size_t size() const noexcept { return state_->size(); }
  std::uint64_t sent() const noexcept { return state_->sent(); }
  std::uint64_t received() const noexcept { return state_->received(); }

 private:
  std::shared_ptr<detail::ChannelState<T>> state_;
};

template <class T>
struct ChannelPair {
  Sender<T> sender;
  Receiver<T> receiver;
};

// A bounded channel with capacity slots (capacity > 0: UsageError for 0, in
// every build type, which would otherwise be the unbounded channel's state).
template <class T>
ChannelPair<T> channel(std::size_t capacity,
                       std::source_location created_at = std::source_location::current()) {
  if (capacity == 0) {
    throw UsageError("channel(0) at " + SourceLoc::from(created_at).str() +
                     ": a bounded channel needs at least one slot. For Go's unbuffered channel, "
                     "where a send waits for a receiver, use corosim::make_chan<T>() (runtime/chan.h); "
                     "for no bound, unbounded_channel<T>()");
  }
  auto state = std::make_shared<detail::ChannelState<T>>(capacity, created_at);
  return ChannelPair<T>{Sender<T>(state), Receiver<T>(state)};
}

template <class T>
ChannelPair<T> unbounded_channel(std::source_location created_at = std::source_location::current()) {
  auto state = std::make_shared<detail::ChannelState<T>>(0, created_at);
  return ChannelPair<T>{Sender<T>(state), Receiver<T>(state)};
}

}  // namespace corosim
