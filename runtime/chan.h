// Chan<T>: Go's channel — multi-producer, multi-consumer, unbuffered
// (rendezvous), buffered or unbounded, closed explicitly.
//
//   auto jobs = corosim::make_chan<Job>();      // unbuffered: a send waits for a receiver
//   auto results = corosim::make_chan<int>(8);  // 8 slots
//   auto log = corosim::make_unbounded_chan<std::string>();
//   co_await jobs.send(job);                    // true: taken; false: the channel is closed
//   while (auto job = co_await jobs.recv()) {}  // nullopt: closed and drained
//
// Chan is a handle: copies refer to the same channel, any number of fibers
// send and receive on it, and it stays open until close() (not when handles
// go away — as in Go). For tokio's split ends that close when every sender
// is gone, see channel.h.
//
// Contract:
// - co_await ch.send(v) completes when a receiver took v (unbuffered), or v is
//   in the buffer; it parks while neither can happen. Parked senders are
//   served in order. It returns false, v discarded, if the channel is closed
//   — before or while it waits (Go panics there; check the result).
// - co_await ch.recv() returns the oldest value, or nullopt once the channel
//   is closed and drained. Parked receivers are served in order.
// - close() lets receivers drain what is buffered, then they see nullopt;
//   parked senders complete with false. Closing a closed channel throws
//   UsageError (a bug, as Go's panic).
// - A default-constructed Chan is nil: a choose() arm on it is never ready
//   (Go's idiom for switching an arm off); any other use throws UsageError.
// - Wake-ups go through the executor; nothing resumes inline.
// - Cancel-safety: recv() is total — a value handed to a receiver that is
//   cancelled before it resumes goes back to the front of the channel, to the
//   next receiver. send() is total while it waits (nothing was taken) but not
//   after the hand-off: a sender cancelled between its value being taken and
//   its resumption has sent, without learning it (the prompt mode).
// - Ledger (audited after injected cancellations and at the end of a run):
//   sent == received + buffered + handed to receivers that have not resumed;
//   a buffered channel never holds more than its capacity; no receiver waits
//   while a value is there for it, and no sender while it could complete.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <utility>

#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/detail/likely_partner.h"
#include "corosim/runtime/detail/ring.h"
#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/detail/offer.h"
#include "corosim/runtime/detail/waiter_list.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

namespace detail {

// One operation parked in a channel's queue on behalf of an Offer.
template <class T>
struct ChanOp {
  ChanOp() = default;
  // Moved only before it is parked (a choose() case on its way into the
  // awaiter); the pointers are set when it parks.
  ChanOp(ChanOp&& other) noexcept : offer(other.offer), index(other.index) {
    assert(other.node.list == nullptr);
  }
  ChanOp& operator=(const ChanOp&) = delete;

  WaiterNode node;  // node.owner == this
  Offer* offer = nullptr;
  std::size_t index = 0;                  // which of the offer's operations
  T* send_value = nullptr;                // a send: the value offered
  std::optional<T>* recv_slot = nullptr;  // a receive: where a handed value goes
  bool closed = false;                    // completed by close()
};

template <class T>
class ChanState final : public LikelyPartner, public Ledger {
 public:
  static constexpr std::size_t kUnbounded = ~std::size_t{0};

  ChanState(std::size_t capacity, const SourceLoc& created_at)
      : Ledger(created_at), capacity_(capacity), id_(new_object_id()) {}

  // Whether the running fiber can complete the operation now, without parking.
  bool can_send() const noexcept {
    return closed_ || first_claimable(recvq_) != nullptr || queued() < capacity_;
  }
  bool can_recv() const noexcept { return !buffer_.empty() || closed_ || first_claimable(sendq_) != nullptr; }

  // Precondition can_send(). True: value was taken (moved from); false: closed.
  bool send_now(T& value) {
    if (closed_) return false;
    if (ChanOp<T>* receiver = claim_first(recvq_)) {
      hand(*receiver, std::move(value));
      return true;
    }
    buffer_.push_back(std::move(value));
    count_sent(current_fiber());
    return true;
  }

  // Precondition can_recv(). nullopt: closed and drained.
  std::optional<T> recv_now() {
    if (!buffer_.empty()) {
      std::optional<T> value(std::move(buffer_.front()));
      buffer_.pop_front();
      if (given_back_ > 0) --given_back_;
      count_received();
      if (queued() >= capacity_) return value;
      if (ChanOp<T>* sender = claim_first(sendq_)) {  // its value takes the freed slot
        buffer_.push_back(std::move(*sender->send_value));
        count_sent(&sender->offer->fiber());
      }
      return value;
    }
    if (ChanOp<T>* sender = claim_first(sendq_)) {  // unbuffered: straight from the sender
      std::optional<T> value(std::move(*sender->send_value));
      count_sent(&sender->offer->fiber());
      count_received();
      return value;
    }
    return std::nullopt;  // closed
  }

  void park(ChanOp<T>& op, Fiber& fiber) {
    op.node.owner = &op;
    (op.send_value != nullptr ? sendq_ : recvq_).push_back(op.node, fiber);
  }
  // Withdraws a parked operation (its offer resumed, or its frame went
  // away). A value handed to it and never taken goes back to the channel.
  void withdraw(ChanOp<T>& op) {
    if (op.node.list == &handed_) {
      handed_.unlink(op.node);
      give_back(std::move(**op.recv_slot));
    } else {
      unlink_if_queued(op.node);
    }
  }
  // The receiver op was claimed with a value: it is the receiver's now.
  T take_handed(ChanOp<T>& op) {
    handed_.unlink(op.node);
    count_received();
    return std::move(**op.recv_slot);
  }

  void close() {
    if (closed_) {
      std::string name;
      describe(name);
      throw UsageError("close of a closed " + name + " (created at " + created_at().str() +
                       "): a channel is closed once, by the side that knows no more values come");
    }
    closed_ = true;
    trace_current(TraceKind::channel_close, id_);
    // Receivers park only while the buffer is empty: they see the end now.
    while (ChanOp<T>* receiver = claim_first(recvq_)) receiver->closed = true;
    while (ChanOp<T>* sender = claim_first(sendq_)) sender->closed = true;
  }

  void audit(const FiberAlive&, std::string& out) const override;
  void describe(std::string& out) const override {
    out += "chan#";
    out += std::to_string(id_);
  }
  Side waiting_side() const noexcept override {
    return !recvq_.empty() ? Side::receivers : !sendq_.empty() ? Side::senders : Side::nobody;
  }

  std::size_t size() const noexcept { return buffer_.size(); }
  std::size_t capacity() const noexcept { return capacity_ == kUnbounded ? 0 : capacity_; }
  bool unbounded() const noexcept { return capacity_ == kUnbounded; }
  bool closed() const noexcept { return closed_; }
  std::uint64_t sent() const noexcept { return sent_; }
  std::uint64_t received() const noexcept { return received_; }

 private:
  static ChanOp<T>* op_of(WaiterNode* node) noexcept { return static_cast<ChanOp<T>*>(node->owner); }
  static ChanOp<T>* first_claimable(const WaiterList& queue) noexcept {
    for (WaiterNode* node = queue.front(); node != nullptr; node = node->next) {
      if (op_of(node)->offer->claimable()) return op_of(node);
    }
    return nullptr;
  }
  // Takes the oldest operation whose offer can still be claimed out of the
  // queue and claims the offer for it (its fiber is woken).
  ChanOp<T>* claim_first(WaiterList& queue) {
    ChanOp<T>* op = first_claimable(queue);
    if (op == nullptr) return nullptr;
    queue.unlink(op->node);
    op->offer->claim(op->index);
    return op;
  }
  // Gives a claimed receiver its value; it stays counted as handed until the
  // receiver resumes and takes it.
  void hand(ChanOp<T>& receiver, T value) {
    *receiver.recv_slot = std::move(value);
    handed_.push_back(receiver.node, receiver.offer->fiber());
    count_sent(current_fiber());
  }
  // A value handed out and never taken: the next receiver gets it, or it
  // waits at the front of the buffer (it was the oldest value there), beyond
  // the capacity — its slot was given up when it was first handed out.
  void give_back(T value) {
    if (ChanOp<T>* receiver = claim_first(recvq_)) {
      *receiver->recv_slot = std::move(value);
      handed_.push_back(receiver->node, receiver->offer->fiber());
    } else {
      buffer_.push_front(std::move(value));
      ++given_back_;
    }
  }
  // Buffered values that take up capacity (not the given-back ones).
  std::size_t queued() const noexcept { return buffer_.size() - given_back_; }
  void count_sent(const Fiber* sender) {
    ++sent_;
    if (sender == nullptr) return;
    note_sender(sender);
    sender->executor->trace(TraceKind::channel_send, sender, id_, sent_);
  }
  void count_received() {
    ++received_;
    note_receiver();
    trace_current(TraceKind::channel_recv, id_, received_);
  }
  std::size_t handed_count() const noexcept {
    std::size_t count = 0;
    for (const WaiterNode* node = handed_.front(); node != nullptr; node = node->next) ++count;
    return count;
  }

  Ring<T> buffer_;
  WaiterList recvq_;
  WaiterList sendq_;
  WaiterList handed_;           // receivers claimed with a value they have not taken yet
  std::size_t given_back_ = 0;  // at the front of buffer_
  std::size_t capacity_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  std::uint32_t id_;
  bool closed_ = false;
};

template <class T>
void ChanState<T>::audit(const FiberAlive&, std::string& out) const {
  std::string name;
  describe(name);
  const std::uint64_t handed = handed_count();
  const bool over_capacity = capacity_ != kUnbounded && queued() > capacity_;
  if (sent_ != received_ + buffer_.size() + handed) {
    out += name + " sent " + std::to_string(sent_) + " values but accounts for " +
           std::to_string(received_ + buffer_.size() + handed) + " (received " + std::to_string(received_) +
           " + buffered " + std::to_string(buffer_.size()) + " + handed to receivers not yet resumed " +
           std::to_string(handed) + ")";
  } else if (over_capacity) {
    out += name + " holds " + std::to_string(queued()) + " values beyond its capacity " +
           std::to_string(capacity_);
  } else if (const ChanOp<T>* receiver = first_claimable(recvq_); receiver != nullptr && can_recv()) {
    out += name + " has fiber " + std::to_string(receiver->offer->fiber().id) +
           " waiting to receive while a value or the close is there for it: a lost wake-up";
  } else if (const ChanOp<T>* sender = first_claimable(sendq_); sender != nullptr && can_send()) {
    out += name + " has fiber " + std::to_string(sender->offer->fiber().id) +
           " waiting to send while the channel could take its value: a lost wake-up";
  }
}

// The awaiter of a plain send or receive: an offer of one operation.
template <class T>
class ChanAwaiterBase : public Offer {
 public:
  explicit ChanAwaiterBase(std::shared_ptr<ChanState<T>> state) noexcept : state_(std::move(state)) {
    op_.offer = this;
  }
  ChanAwaiterBase(const ChanAwaiterBase&) = delete;
  ChanAwaiterBase& operator=(const ChanAwaiterBase&) = delete;
  ~ChanAwaiterBase() { state_->withdraw(op_); }

 protected:
  void park(const char* what) {
    Fiber& fiber = running_fiber(what);
    open(fiber);
    state_->park(op_, fiber);
    set_waiting_on(state_.get());
  }

  std::shared_ptr<ChanState<T>> state_;
  ChanOp<T> op_;
};

template <class T>
class ChanRecvAwaiter final : public ChanAwaiterBase<T> {
 public:
  static constexpr const char* corosim_what = "chan.recv";
  using ChanAwaiterBase<T>::ChanAwaiterBase;

  bool await_ready() {
    if (!this->state_->can_recv()) return false;
    slot_ = this->state_->recv_now();
    ready_ = true;
    return true;
  }
  void await_suspend(std::coroutine_handle<>) {
    this->op_.recv_slot = &slot_;
    this->park("chan recv");
  }
  std::optional<T> await_resume() {
    if (ready_ || this->op_.closed) return std::move(slot_);
    return this->state_->take_handed(this->op_);
  }

 private:
  std::optional<T> slot_;
  bool ready_ = false;
};

template <class T>
class ChanSendAwaiter final : public ChanAwaiterBase<T> {
 public:
  static constexpr const char* corosim_what = "chan.send";
  ChanSendAwaiter(std::shared_ptr<ChanState<T>> state, T value)
      : ChanAwaiterBase<T>(std::move(state)), value_(std::move(value)) {}

  bool await_ready() {
    if (!this->state_->can_send()) return false;
    result_ = this->state_->send_now(value_);
    return true;
  }
  void await_suspend(std::coroutine_handle<>) {
    this->op_.send_value = &value_;
    this->park("chan send");
  }
  // Woken: a receiver or the buffer took the value, or the channel closed.
  bool await_resume() const noexcept { return this->claimed() ? !this->op_.closed : result_; }

 private:
  T value_;
  bool result_ = false;
};

[[noreturn]] void throw_nil_chan(const char* operation);
// "chan#3.recv", or "nil chan.recv" for a case on a nil channel.
void describe_chan_op(const WaitTarget* chan, const char* operation, std::string& out);

}  // namespace detail

template <class T>
class Chan {
 public:
  // A nil channel (see the contract).
  Chan() = default;
  explicit Chan(std::shared_ptr<detail::ChanState<T>> state) noexcept : state_(std::move(state)) {}

  [[nodiscard]] detail::ChanSendAwaiter<T> send(T value) const {
    return detail::ChanSendAwaiter<T>(require("send"), std::move(value));
  }
  [[nodiscard]] detail::ChanRecvAwaiter<T> recv() const {
    return detail::ChanRecvAwaiter<T>(require("recv"));
  }
  // Sends if that needs no waiting (Go's select with a default): true if the
  // value was taken; false if it would wait or the channel is closed.
  bool try_send(T value) const {
    detail::ChanState<T>& state = *require("try_send");
    return state.can_send() && state.send_now(value);
  }
  // Receives if a value is there now (or a parked sender offers one).
  std::optional<T> try_recv() const {
    detail::ChanState<T>& state = *require("try_recv");
    return state.can_recv() ? state.recv_now() : std::nullopt;
  }
  void close() const { require("close")->close(); }

  bool nil() const noexcept { return state_ == nullptr; }
  bool closed() const { return require("closed")->closed(); }
  // Values buffered now (Go's len); the buffer's size (Go's cap; 0 unbuffered or unbounded).
  std::size_t size() const { return require("size")->size(); }
  std::size_t capacity() const { return require("capacity")->capacity(); }
  std::uint64_t sent() const { return require("sent")->sent(); }
  std::uint64_t received() const { return require("received")->received(); }

  const std::shared_ptr<detail::ChanState<T>>& state() const noexcept { return state_; }
  friend bool operator==(const Chan& a, const Chan& b) noexcept { return a.state_ == b.state_; }

 private:
  const std::shared_ptr<detail::ChanState<T>>& require(const char* operation) const {
    if (state_ == nullptr) detail::throw_nil_chan(operation);
    return state_;
  }
  std::shared_ptr<detail::ChanState<T>> state_;
};

// capacity 0: unbuffered — each send waits for a receiver to take its value.
template <class T>
Chan<T> make_chan(std::size_t capacity = 0,
                  std::source_location created_at = std::source_location::current()) {
  return Chan<T>(std::make_shared<detail::ChanState<T>>(capacity, SourceLoc::from(created_at)));
}

template <class T>
Chan<T> make_unbounded_chan(std::source_location created_at = std::source_location::current()) {
  return Chan<T>(
      std::make_shared<detail::ChanState<T>>(detail::ChanState<T>::kUnbounded, SourceLoc::from(created_at)));
}

}  // namespace corosim
