// oneshot<T>: a single value from one fiber to another.
//
//   auto [tx, rx] = corosim::oneshot<int>();
//   tx.send(42);                  // never waits
//   std::optional<int> v = co_await rx.recv();
//
// Contract:
// - send() stores the value and wakes the receiver (resumed by the executor
//   on a later step); it returns false if the receiver is gone. Sending twice
//   is a programming error.
// - recv() gives the value, or nullopt if the sender was destroyed without
//   sending. Cancel-safety of recv(): total (the value stays until taken).
// - tx.is_closed(): the receiver is gone, so a send() would be discarded.
#pragma once

#include <cassert>
#include <coroutine>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/detail/waiter_list.h"
#include "corosim/executor/fiber.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

namespace detail {

template <class T>
struct OneshotState final : WaitTarget {
  std::optional<T> value;
  WaiterList receiver;
  std::uint32_t id = new_object_id();
  bool sender_alive = true;
  bool receiver_alive = true;
  bool sent = false;

  void wake_receiver() {
    if (!receiver.empty()) fiber_wake(*receiver.pop_front().fiber);
  }
  void describe(std::string& out) const override {
    out += "oneshot#";
    out += std::to_string(id);
  }
};

}  // namespace detail

template <class T>
class OneshotSender {
 public:
  explicit OneshotSender(std::shared_ptr<detail::OneshotState<T>> state) : state_(std::move(state)) {}
  OneshotSender(OneshotSender&&) noexcept = default;
  OneshotSender& operator=(OneshotSender&&) noexcept = default;
  ~OneshotSender() {
    if (!state_) return;
    state_->sender_alive = false;
    state_->wake_receiver();
  }

  bool send(T value) {
    assert(!state_->sent && "a oneshot sends once");
    state_->sent = true;
    if (!state_->receiver_alive) return false;
    state_->value.emplace(std::move(value));
    detail::trace_current(TraceKind::channel_send, state_->id, 1);
    state_->wake_receiver();
    return true;
  }

  // The receiver is gone: a send() would be discarded (a request whose
  // requester gave up need not be worked on).
  bool is_closed() const noexcept { return !state_ || !state_->receiver_alive; }

 private:
  std::shared_ptr<detail::OneshotState<T>> state_;
};

template <class T>
class OneshotReceiver {
 public:
  explicit OneshotReceiver(std::shared_ptr<detail::OneshotState<T>> state) : state_(std::move(state)) {}
  OneshotReceiver(OneshotReceiver&&) noexcept = default;
  OneshotReceiver& operator=(OneshotReceiver&&) noexcept = default;
  ~OneshotReceiver() {
    if (state_) state_->receiver_alive = false;
  }

  class RecvAwaiter {
   public:
    static constexpr const char* corosim_what = "oneshot.recv";
    explicit RecvAwaiter(detail::OneshotState<T>& state) noexcept : state_(state) {}
    RecvAwaiter(const RecvAwaiter&) = delete;
    ~RecvAwaiter() { detail::unlink_if_queued(node_); }
    static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
    bool await_ready() const noexcept { return state_.value.has_value() || !state_.sender_alive; }
    void await_suspend(std::coroutine_handle<>) {
      state_.receiver.push_back(node_, detail::running_fiber("oneshot recv"));
      detail::set_waiting_on(&state_);
    }
    std::optional<T> await_resume() {
      if (!state_.value) return std::nullopt;
      detail::trace_current(TraceKind::channel_recv, state_.id, 1);
      return std::exchange(state_.value, std::nullopt);
    }

   private:
    detail::WaiterNode node_;
    detail::OneshotState<T>& state_;
  };

  [[nodiscard]] RecvAwaiter recv() noexcept { return RecvAwaiter(*state_); }

 private:
  std::shared_ptr<detail::OneshotState<T>> state_;
};

template <class T>
struct OneshotPair {
  OneshotSender<T> sender;
  OneshotReceiver<T> receiver;
};

template <class T>
OneshotPair<T> oneshot() {
  auto state = std::make_shared<detail::OneshotState<T>>();
  return OneshotPair<T>{OneshotSender<T>(state), OneshotReceiver<T>(state)};
}

}  // namespace corosim
