// choose: Go's select over channel operations — sends, receives, timers and
// a default.
//
//   auto got = co_await corosim::choose(corosim::recv_from(jobs),
//                                       corosim::send_to(results, 42),
//                                       corosim::after(100ms),
//                                       corosim::otherwise());
//   switch (got.index()) {
//     case 0: if (std::optional<Job>& job = std::get<0>(got)) { ... } break;  // nullopt: closed
//     case 1: ... break;  // std::get<1>(got): the value was taken (false: closed)
//     case 2: ... break;  // 100ms passed first
//     case 3: ... break;  // nothing was ready
//   }
//
// Contract:
// - Exactly one case completes; the others leave no trace — no value taken
//   from their channel, none half-sent. The result's index is that case's
//   position, its alternative the case's result: recv_from → std::optional<T>
//   (nullopt: closed and drained), send_to → bool (false: closed), after and
//   otherwise → std::monostate. when_cancelled(token) (cancellation_token.h)
//   is ready once the token is cancelled (Go's `case <-ctx.Done()`),
//   deadline included → std::monostate.
// - Cases ready when choose is reached: one of them completes, chosen by the
//   executor (a recorded decision under the simulator: the strategies explore
//   every choice). None ready: otherwise() completes if given, else the fiber
//   parks until a partner completes one of its operations (the first claims
//   it) or the earliest after() deadline passes.
// - A case on a nil Chan is never ready (Go's idiom for switching one off).
// - Cancel-safety: as the operations it holds — a value handed to a receive
//   case that is cancelled before it resumes goes back to its channel (total);
//   a send case cancelled after its value was taken has sent it (prompt).
//
// choose() or select()? choose is over channel operations and timers, which
// are withdrawn cleanly when another wins. select() (select.h) races whole
// Tasks, each in a fiber of its own, and drops the losers: use it for futures
// that are not channel operations.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "corosim/executor/assert.h"
#include "corosim/executor/executor.h"
#include "corosim/runtime/chan.h"
#include "corosim/runtime/detail/offer.h"
#include "corosim/runtime/time.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

namespace detail {

template <class T>
class RecvCase {
 public:
  using Result = std::optional<T>;
  explicit RecvCase(std::shared_ptr<ChanState<T>> state) noexcept : state_(std::move(state)) {}

  bool ready() const noexcept { return state_ != nullptr && state_->can_recv(); }
  Result perform() { return state_->recv_now(); }
  void park(Offer& offer, std::size_t index, Fiber& fiber) {
    if (state_ == nullptr) return;
    op_.offer = &offer;
    op_.index = index;
    op_.recv_slot = &slot_;
    state_->park(op_, fiber);
  }
  void withdraw() {
    if (state_ != nullptr) state_->withdraw(op_);
  }
  Result claimed() {
    if (op_.closed) return std::nullopt;
    return state_->take_handed(op_);
  }
  void describe(std::string& out) const { describe_chan_op(state_.get(), ".recv", out); }

 private:
  std::shared_ptr<ChanState<T>> state_;
  ChanOp<T> op_;
  std::optional<T> slot_;
};

template <class T>
class SendCase {
 public:
  using Result = bool;
  SendCase(std::shared_ptr<ChanState<T>> state, T value)
      : state_(std::move(state)), value_(std::move(value)) {}

  bool ready() const noexcept { return state_ != nullptr && state_->can_send(); }
  Result perform() { return state_->send_now(value_); }
  void park(Offer& offer, std::size_t index, Fiber& fiber) {
    if (state_ == nullptr) return;
    op_.offer = &offer;
    op_.index = index;
    op_.send_value = &value_;
    state_->park(op_, fiber);
  }
  void withdraw() {
    if (state_ != nullptr) state_->withdraw(op_);
  }
  Result claimed() const noexcept { return !op_.closed; }
  void describe(std::string& out) const { describe_chan_op(state_.get(), ".send", out); }

 private:
  std::shared_ptr<ChanState<T>> state_;
  T value_;
  ChanOp<T> op_;
};

// Ready once its deadline has passed, or once the choose's timer (armed for
// the earliest deadline) fired for it.
class AfterCase {
 public:
  using Result = std::monostate;
  explicit AfterCase(std::uint64_t deadline_ns) noexcept : deadline_ns_(deadline_ns) {}

  bool ready() const { return fired_ || require_executor("corosim::choose").now_ns() >= deadline_ns_; }
  Result perform() const noexcept { return {}; }
  void park(Offer&, std::size_t, Fiber&) const noexcept {}
  void withdraw() const noexcept {}
  Result claimed() const noexcept { return {}; }
  void describe(std::string& out) const { out += "a timer"; }

  std::uint64_t deadline_ns() const noexcept { return deadline_ns_; }
  void timer_fired(std::uint64_t earliest_ns) noexcept { fired_ = deadline_ns_ <= earliest_ns; }

 private:
  std::uint64_t deadline_ns_;
  bool fired_ = false;
};

class DefaultCase {
 public:
  using Result = std::monostate;
  bool ready() const noexcept { return false; }  // chosen only when no other case is
  Result perform() const noexcept { return {}; }
  void park(Offer&, std::size_t, Fiber&) const noexcept {}
  void withdraw() const noexcept {}
  Result claimed() const noexcept { return {}; }
  void describe(std::string& out) const { out += "otherwise"; }
};

// A case with a deadline (after(), a token's when_cancelled()): the choose's
// one timer is armed for the earliest.
template <class Case>
inline constexpr bool kIsAfter = requires(Case& one) {
  { one.deadline_ns() } -> std::convertible_to<std::uint64_t>;
  one.timer_fired(std::uint64_t{});
};
template <class Case>
inline constexpr bool kIsDefault = std::is_same_v<Case, DefaultCase>;

std::size_t choose_among(std::size_t ready_count);

template <class... Cases>
class ChooseAwaiter final : public Offer, public WaitTarget {
  static constexpr std::size_t N = sizeof...(Cases);
  static_assert(N > 0, "choose needs at least one case");
  static_assert((0 + ... + std::size_t{kIsDefault<Cases>}) <= 1, "choose takes at most one otherwise()");
  static constexpr bool kHasTimer = (false || ... || kIsAfter<Cases>);
  static constexpr bool kHasDefault = (false || ... || kIsDefault<Cases>);

 public:
  static constexpr const char* corosim_what = "choose";
  using Result = std::variant<typename Cases::Result...>;

  explicit ChooseAwaiter(Cases... cases) : cases_(std::move(cases)...) {}
  ChooseAwaiter(const ChooseAwaiter&) = delete;
  ChooseAwaiter& operator=(const ChooseAwaiter&) = delete;
  ~ChooseAwaiter() {
    disarm();
    for_each([](auto& one, std::size_t) { one.withdraw(); });
  }

  bool await_ready() { return complete_a_ready_case(); }
  void await_suspend(std::coroutine_handle<>) {
    Fiber& fiber = running_fiber("choose");
    open(fiber);
    for_each([&](auto& one, std::size_t index) { one.park(*this, index, fiber); });
    if constexpr (kHasTimer) arm(fiber);
    set_waiting_on(this);
  }
  Result await_resume() {
    if (result_) return std::move(*result_);
    disarm();
    if (claimed()) {
      visit(won(), [&](auto& one, auto index) {
        result_.emplace(std::in_place_index<decltype(index)::value>, one.claimed());
      });
      for_each([](auto& one, std::size_t) { one.withdraw(); });
    } else {  // its timer fired (nothing else wakes an unclaimed offer)
      for_each([](auto& one, std::size_t) { one.withdraw(); });
      for_each([&](auto& one, std::size_t) {
        if constexpr (kIsAfter<std::remove_cvref_t<decltype(one)>>) one.timer_fired(earliest_ns_);
      });
      const bool completed = complete_a_ready_case();
      COROSIM_ASSERT(completed && "choose woken with no case to complete");
    }
    return std::move(*result_);
  }

  void describe(std::string& out) const override {
    out += "choose over ";
    for_each([&](const auto& one, std::size_t index) {
      if (index != 0) out += ", ";
      one.describe(out);
    });
  }

 private:
  // One of the cases that can complete now, chosen by the executor; else the
  // default. False if there is neither.
  bool complete_a_ready_case() {
    std::array<std::size_t, N> ready{};
    std::size_t count = 0;
    for_each([&](const auto& one, std::size_t index) {
      if (one.ready()) ready[count++] = index;
    });
    if (count == 0) {
      if constexpr (kHasDefault) {
        for_each([&](auto& one, std::size_t index) {
          if constexpr (kIsDefault<std::remove_cvref_t<decltype(one)>>) complete(index);
        });
        return true;
      }
      return false;
    }
    complete(ready[count == 1 ? 0 : choose_among(count)]);
    return true;
  }
  void complete(std::size_t index) {
    visit(index, [&](auto& one, auto at) {
      result_.emplace(std::in_place_index<decltype(at)::value>, one.perform());
    });
  }

  void arm(Fiber& fiber) {
    earliest_ns_ = kNoDeadline;
    for_each([&](const auto& one, std::size_t) {
      if constexpr (kIsAfter<std::remove_cvref_t<decltype(one)>>) {
        earliest_ns_ = std::min(earliest_ns_, one.deadline_ns());
      }
    });
    if (earliest_ns_ == kNoDeadline) return;  // only tokens without deadlines
    timer_.fiber = &fiber;
    timer_.deadline_ns = earliest_ns_;
    fiber.executor->arm_timer(timer_);
  }
  void disarm() {
    if (timer_.armed) timer_.fiber->executor->cancel_timer(timer_);
  }
  void on_claimed() override { disarm(); }

  template <class F>
  void for_each(F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (f(std::get<I>(cases_), I), ...);
    }(std::index_sequence_for<Cases...>{});
  }
  template <class F>
  void for_each(F&& f) const {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (f(std::get<I>(cases_), I), ...);
    }(std::index_sequence_for<Cases...>{});
  }
  // Calls f(case, std::integral_constant<index>) for the case at a runtime index.
  template <class F>
  void visit(std::size_t index, F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((index == I ? f(std::get<I>(cases_), std::integral_constant<std::size_t, I>{}) : void()), ...);
    }(std::index_sequence_for<Cases...>{});
  }

  std::tuple<Cases...> cases_;
  std::optional<Result> result_;
  TimerNode timer_;
  std::uint64_t earliest_ns_ = kNoDeadline;
};

}  // namespace detail

template <class T>
detail::RecvCase<T> recv_from(const Chan<T>& chan) {
  return detail::RecvCase<T>(chan.state());
}
template <class T, class V>
detail::SendCase<T> send_to(const Chan<T>& chan, V&& value) {
  return detail::SendCase<T>(chan.state(), T(std::forward<V>(value)));
}
// Ready once `delay` has passed since after() was called: the deadline is
// fixed here, as Go's time.After fixes it where the select evaluates it.
template <class Rep, class Period>
detail::AfterCase after(std::chrono::duration<Rep, Period> delay,
                        std::source_location where = std::source_location::current()) {
  const Duration deadline = now(where) + std::chrono::duration_cast<Duration>(delay);
  return detail::AfterCase(deadline.count() < 0 ? 0 : static_cast<std::uint64_t>(deadline.count()));
}
inline detail::DefaultCase otherwise() noexcept { return {}; }

template <class... Cases>
[[nodiscard]] detail::ChooseAwaiter<Cases...> choose(Cases... cases) {
  return detail::ChooseAwaiter<Cases...>(std::move(cases)...);
}

}  // namespace corosim
