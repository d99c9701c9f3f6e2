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
// - Wake-ups go through the executor; nothing resumes inline.
// - Cancel-safety: recv() is total — the item stays in the channel until the
//   receiver resumes and takes it. send() is total while parked (the value goes
//   back with the dropped frame) and complete once it returned true.
// - Ledger: sent() == received() + size() + (items still buffered when the
//   receiver went away).
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "runtime/detail/object_id.h"
#include "runtime/detail/waiter_list.h"
#include "runtime/fiber.h"

namespace corosim {

namespace detail {

template <class T>
class ChannelState final : public WaitTarget {
 public:
  explicit ChannelState(std::size_t capacity) : capacity_(capacity), id_(new_object_id()) {}

  bool accepting() const noexcept { return !closed_ && receiver_alive_; }
  bool has_room() const noexcept {
    return send_waiters_.empty() && (capacity_ == 0 || buffer_.size() < capacity_);
  }

  void push(T value) {
    buffer_.push_back(std::move(value));
    ++sent_;
    trace_current(TraceKind::channel_send, id_, sent_);
    if (!receiver_.empty()) fiber_wake(*receiver_.pop_front().fiber);
  }

  std::optional<T> pop() {
    if (buffer_.empty()) return std::nullopt;
    T item = std::move(buffer_.front());
    buffer_.pop_front();
    ++received_;
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

  std::size_t size() const noexcept { return buffer_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }
  bool closed() const noexcept { return closed_; }
  std::uint64_t sent() const noexcept { return sent_; }
  std::uint64_t received() const noexcept { return received_; }

  WaiterList receiver_;       // at most one: single consumer
  WaiterList send_waiters_;   // nodes owned by SendAwaiter<T>

 private:
  void serve_one_sender();
  void wake_everyone();

  std::deque<T> buffer_;
  std::size_t capacity_;  // 0: unbounded
  std::size_t senders_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  std::uint32_t id_;
  bool closed_ = false;
  bool receiver_alive_ = true;
};

template <class T>
class SendAwaiter {
 public:
  static constexpr const char* corosim_what = "channel.send";
  SendAwaiter(ChannelState<T>& state, T value) : state_(state), value_(std::move(value)) {}
  SendAwaiter(const SendAwaiter&) = delete;
  ~SendAwaiter() { unlink_if_queued(node_); }

  bool await_ready() {
    if (!state_.accepting()) return true;  // result_ stays false
    if (!state_.has_room()) return false;
    state_.push(std::move(*value_));
    result_ = true;
    return true;
  }
  void await_suspend(std::coroutine_handle<>) {
    node_.owner = this;
    state_.send_waiters_.push_back(node_, *current_fiber());
    set_waiting_on(&state_);
  }
  bool await_resume() noexcept { return result_; }

 private:
  friend class ChannelState<T>;
  WaiterNode node_;
  ChannelState<T>& state_;
  std::optional<T> value_;
  bool result_ = false;
};

template <class T>
void ChannelState<T>::serve_one_sender() {
  if (send_waiters_.empty() || !accepting()) return;
  auto& sender = *static_cast<SendAwaiter<T>*>(send_waiters_.pop_front().owner);
  Fiber& fiber = *sender.node_.fiber;
  buffer_.push_back(std::move(*sender.value_));
  ++sent_;
  fiber.executor->trace(TraceKind::channel_send, &fiber, id_, sent_);
  sender.result_ = true;
  fiber_wake(fiber);
}

template <class T>
void ChannelState<T>::wake_everyone() {
  while (!send_waiters_.empty()) fiber_wake(*send_waiters_.pop_front().fiber);
  while (!receiver_.empty()) fiber_wake(*receiver_.pop_front().fiber);
}

template <class T>
class RecvAwaiter {
 public:
  static constexpr const char* corosim_what = "channel.recv";
  explicit RecvAwaiter(ChannelState<T>& state) noexcept : state_(state) {}
  RecvAwaiter(const RecvAwaiter&) = delete;
  ~RecvAwaiter() { unlink_if_queued(node_); }

  bool await_ready() const noexcept { return state_.size() > 0 || state_.closed(); }
  void await_suspend(std::coroutine_handle<>) {
    assert(state_.receiver_.empty() && "two fibers receive from one channel at once");
    state_.receiver_.push_back(node_, *current_fiber());
    set_waiting_on(&state_);
  }
  std::optional<T> await_resume() { return state_.pop(); }

 private:
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

// A bounded channel with capacity slots (capacity > 0).
template <class T>
ChannelPair<T> channel(std::size_t capacity) {
  assert(capacity > 0 && "a bounded channel needs at least one slot");
  auto state = std::make_shared<detail::ChannelState<T>>(capacity);
  return ChannelPair<T>{Sender<T>(state), Receiver<T>(state)};
}

template <class T>
ChannelPair<T> unbounded_channel() {
  auto state = std::make_shared<detail::ChannelState<T>>(0);
  return ChannelPair<T>{Sender<T>(state), Receiver<T>(state)};
}

}  // namespace corosim
