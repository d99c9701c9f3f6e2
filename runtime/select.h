// select, join_all, timeout: combinators over Tasks.
//
// Each Task given to a combinator runs as a fiber of its own (the spawned,
// scope-like variant: members progress whether or not the caller is awaiting).
//
// Contract:
// - select(a, b, ...) returns a std::variant whose index is the arm that
//   finished first (void arms hold std::monostate). Every other arm is dropped
//   — its chain destroyed, destructors run — before select returns: losers are
//   drained, never left running. If the winner threw, select rethrows after
//   draining. Arms that finish on the same step: the lowest index wins. An arm
//   that is cancelled (dropped, or unwound by Cancelled) loses and the others
//   race on; if every arm is cancelled, select throws Cancelled.
// - join_all(tasks) waits for all and returns their values in order; if one
//   throws, the rest are dropped and the exception is rethrown.
// - timeout(d, task) is select(task, sleep d): nullopt (false for void) when the
//   deadline came first, in which case task was dropped.
// - Cancel-safety: dropping any of these drops every fiber they started (the
//   handles live in the combinator's frame).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/spawn.h"
#include "runtime/task.h"
#include "runtime/time.h"

namespace corosim {

namespace detail {

template <class T>
using SelectSlot = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Parks until the first of N fibers finishes; returns its index.
template <std::size_t N>
class WaitAny final : public CompletionListener, public WaitTarget {
 public:
  static constexpr const char* corosim_what = "select";
  explicit WaitAny(std::array<Fiber*, N> fibers) noexcept : fibers_(fibers) {}
  WaitAny(const WaitAny&) = delete;
  ~WaitAny() { unregister(); }

  bool await_ready() noexcept {
    for (std::size_t i = 0; i < N; ++i) {
      if (fibers_[i]->state == FiberState::done && !fiber_was_cancelled(*fibers_[i])) {
        winner_ = i;
        return true;
      }
    }
    if (all_done()) winner_ = 0;  // every arm was cancelled: select throws Cancelled
    return all_done();
  }
  void await_suspend(std::coroutine_handle<>) noexcept {
    waiter_ = current_fiber();
    for (Fiber* fiber : fibers_) fiber->listener = this;
    set_waiting_on(this);
  }
  std::size_t await_resume() const noexcept { return winner_; }

  void on_fiber_done(Fiber& done) override {
    for (std::size_t i = 0; i < N; ++i) {
      if (fibers_[i] == &done) winner_ = i;
    }
    // An arm that was cancelled (dropped, or unwound by Cancelled) loses; the
    // others race on, unless every arm is gone.
    if (fiber_was_cancelled(done) && !all_done()) {
      done.listener = nullptr;
      return;
    }
    unregister();
    fiber_wake(*std::exchange(waiter_, nullptr));
  }
  void describe(std::string& out) const override {
    out += "select over fibers";
    for (const Fiber* fiber : fibers_) {
      out += ' ';
      out += std::to_string(fiber->id);
    }
  }

 private:
  bool all_done() const noexcept {
    for (const Fiber* fiber : fibers_) {
      if (fiber->state != FiberState::done) return false;
    }
    return true;
  }
  void unregister() noexcept {
    for (Fiber* fiber : fibers_) {
      if (fiber->listener == this) fiber->listener = nullptr;
    }
  }

  std::array<Fiber*, N> fibers_;
  Fiber* waiter_ = nullptr;
  std::size_t winner_ = 0;
};

template <std::size_t I, class Variant, class T>
Variant take_slot(JoinHandle<T>& handle) {
  if constexpr (std::is_void_v<T>) {
    handle.take_result();
    return Variant(std::in_place_index<I>);
  } else {
    return Variant(std::in_place_index<I>, handle.take_result());
  }
}

template <class Variant, class Handles, std::size_t... I>
Variant take_winner(Handles& handles, std::size_t winner, std::index_sequence<I...>) {
  std::optional<Variant> result;
  ((I == winner ? (void)result.emplace(take_slot<I, Variant>(std::get<I>(handles))) : void()), ...);
  return std::move(*result);
}

inline Task<void> sleep_until_task(Duration deadline) { co_await sleep_until(deadline); }

}  // namespace detail

namespace detail {

// select, with the arms whose bit is set in internal_arms marked as runtime
// machinery (timeout's timer): not cancellation boundaries.
template <class... T>
Task<std::variant<SelectSlot<T>...>> select_arms(std::uint32_t internal_arms, Task<T>... arms) {
  static_assert(sizeof...(T) >= 1, "select needs at least one arm");
  using Variant = std::variant<SelectSlot<T>...>;
  std::tuple<JoinHandle<T>...> handles{spawn(std::move(arms))...};
  std::array<Fiber*, sizeof...(T)> fibers = std::apply(
      [](auto&... handle) { return std::array<Fiber*, sizeof...(T)>{&handle.fiber_record()...}; },
      handles);
  for (std::size_t i = 0; i < fibers.size(); ++i) {
    if ((internal_arms >> i) & 1U) fibers[i]->boundary = false;
  }
  const std::size_t winner = co_await WaitAny<sizeof...(T)>(fibers);
  std::apply(
      [winner](auto&... handle) {
        std::size_t index = 0;
        ((index++ != winner ? handle.cancel() : void()), ...);
      },
      handles);
  co_return take_winner<Variant>(handles, winner, std::index_sequence_for<T...>{});
}

}  // namespace detail

template <class... T>
Task<std::variant<detail::SelectSlot<T>...>> select(Task<T>... arms) {
  return detail::select_arms(0, std::move(arms)...);
}

template <class T>
Task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>> join_all(
    std::vector<Task<T>> tasks) {
  std::vector<JoinHandle<T>> handles;
  handles.reserve(tasks.size());
  for (Task<T>& task : tasks) handles.push_back(spawn(std::move(task)));
  if constexpr (std::is_void_v<T>) {
    for (JoinHandle<T>& handle : handles) co_await handle;
  } else {
    std::vector<T> results;
    results.reserve(handles.size());
    for (JoinHandle<T>& handle : handles) results.push_back(co_await handle);
    co_return results;
  }
}

// cancellable(op): runs op as a cancellation boundary (a fiber of its own)
// and awaits it: nullopt (false for void) if op was cancelled — dropped, or
// unwound by Cancelled from a stop request — else its value. If the await of
// cancellable itself is cancelled, Cancelled propagates to the caller and op
// is dropped. The explicit boundary tests wrap the operation under test in.
template <class T>
Task<std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>> cancellable(Task<T> operation) {
  JoinHandle<T> handle = spawn(std::move(operation));
  try {
    if constexpr (std::is_void_v<T>) {
      co_await handle;
      co_return true;
    } else {
      co_return std::optional<T>(co_await handle);
    }
  } catch (const Cancelled&) {
    // The operation was cancelled: report it. But if this await itself was
    // cancelled (stop or interrupt) while the operation runs on, the caller
    // is being cancelled: propagate (the operation is dropped with the handle).
    if (!handle.is_finished()) throw;
  }
  if constexpr (std::is_void_v<T>) {
    co_return false;
  } else {
    co_return std::nullopt;
  }
}

template <class T, class Rep, class Period>
Task<std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>> timeout(
    std::chrono::duration<Rep, Period> limit, Task<T> operation) {
  const Duration deadline = now() + std::chrono::duration_cast<Duration>(limit);
  // The timer arm is machinery, not a cancellation boundary: only the
  // operation is cancelled by injection.
  auto result = co_await detail::select_arms(0b10, std::move(operation), detail::sleep_until_task(deadline));
  if constexpr (std::is_void_v<T>) {
    co_return result.index() == 0;
  } else {
    if (result.index() != 0) co_return std::nullopt;
    co_return std::optional<T>(std::move(std::get<0>(result)));
  }
}

}  // namespace corosim
