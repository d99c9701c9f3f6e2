// select, join_all, timeout: combinators over Tasks.
//
// Each Task given to a combinator runs as a fiber of its own (the spawned,
// scope-like variant: members progress whether or not the caller is awaiting).
// A select arm may instead be a borrowed Pollable (runtime/pollable.h): polled
// only while select waits, and left pending, not dropped, when it loses.
// Fibers these combinators start belong to the caller's driver, if the
// caller is itself a member of a poll-driven combinator (spawn_part).
//
// Contract:
// - select(a, b, ...) returns a std::variant whose index is the arm that
//   finished first (void arms hold std::monostate). Every other owned arm is dropped
//   — its chain destroyed, destructors run, and the async close of a resource
//   guard it held finished (runtime/async_drop.h) — before select returns:
//   losers are drained, never left running. Arms run only while select waits: once one
//   has finished, no other arm runs again, so a loser never completes with a
//   value that select then throws away. If the winner threw, select rethrows
//   after draining. An arm
//   that is cancelled (dropped, or unwound by Cancelled) loses and the others
//   race on; if every arm is cancelled, select throws Cancelled.
// - join_all(tasks) waits for all and returns their values in order. The
//   first member to throw (in time, not in order) ends the wait: the rest are
//   dropped (drained as select's losers are) and its exception is rethrown.
// - timeout(d, task) is select(task, sleep d): nullopt (false for void) when the
//   deadline came first, in which case task was dropped.
// - Cancel-safety: dropping any of these drops every fiber they started (the
//   handles live in the combinator's frame).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "corosim/runtime/pollable.h"
#include "corosim/runtime/spawn.h"
#include "corosim/runtime/task.h"
#include "corosim/runtime/time.h"

namespace corosim {

namespace detail {

template <class T>
using SelectSlot = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Parks until a fiber that was dropped while holding a resource guard has
// ended: it is `closing` while its async cleanups run (runtime/async_drop.h).
// For combinators that drain what they dropped (select's losers) before they
// return, so that no close outlives the race that owned its holder. Here,
// not in spawn.h: where fiber_lifecycle.cpp sees this final class, g++
// guesses every listener is one (speculative devirtualisation) and each
// fiber's end pays for the wrong guess (+9 instructions a task in W3).
class ClosingAwaiter final : public CompletionListener, public WaitTarget {
 public:
  static constexpr const char* corosim_what = "async cleanup";

  explicit ClosingAwaiter(Fiber& fiber) noexcept : fiber_(fiber) {}
  ClosingAwaiter(const ClosingAwaiter&) = delete;
  ~ClosingAwaiter() {
    if (waiter_ != nullptr && fiber_.listener == this) fiber_.listener = nullptr;
  }

  static constexpr bool corosim_parks_unless_ready = true;
  bool await_ready() const noexcept { return fiber_.state == FiberState::done; }
  void await_suspend(std::coroutine_handle<>) noexcept {
    assert(fiber_.listener == nullptr && "a closing fiber can be awaited by one waiter at a time");
    waiter_ = current_fiber();
    fiber_.listener = this;
    set_waiting_on(this);
  }
  void await_resume() const noexcept {}

  void on_fiber_done(Fiber&) override { fiber_wake(*std::exchange(waiter_, nullptr)); }
  void describe(std::string& out) const override {
    out += "the async cleanup of fiber ";
    out += std::to_string(fiber_.id);
  }
  std::uint32_t holder_id() const noexcept override { return fiber_.id; }

 private:
  Fiber& fiber_;
  Fiber* waiter_ = nullptr;
};

// What select's and join_all's waits share, over the fibers they watch.
inline bool all_fibers_done(std::span<Fiber* const> fibers) noexcept {
  for (const Fiber* fiber : fibers) {
    if (fiber->state != FiberState::done) return false;
  }
  return true;
}
inline void stop_listening(std::span<Fiber* const> fibers, const CompletionListener* listener) noexcept {
  for (Fiber* fiber : fibers) {
    if (fiber->listener == listener) fiber->listener = nullptr;
  }
}
inline void describe_fibers(std::string& out, const char* what, std::span<Fiber* const> fibers) {
  out += what;
  for (const Fiber* fiber : fibers) {
    out += ' ';
    out += std::to_string(fiber->id);
  }
}

// Parks until the first of N fibers finishes; returns its index. The arms run
// only while it waits (it polls their drivers): once one has finished, the
// others are held where they are, so no second arm completes — and loses its
// value — before the loser is dropped.
template <std::size_t N>
class WaitAny final : public CompletionListener, public WaitTarget {
 public:
  static constexpr const char* corosim_what = "select";
  WaitAny(std::array<Fiber*, N> fibers, std::array<Driver*, N> drivers) noexcept
      : fibers_(fibers), drivers_(drivers) {}
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
  void await_suspend(std::coroutine_handle<>) {
    waiter_ = current_fiber();
    for (Fiber* fiber : fibers_) fiber->listener = this;
    set_waiting_on(this);
    for (Driver* driver : drivers_) driver->begin_poll(*waiter_);
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
  void describe(std::string& out) const override { describe_fibers(out, "select over fibers", fibers_); }

 private:
  bool all_done() const noexcept { return all_fibers_done(fibers_); }
  void unregister() noexcept {
    stop_listening(fibers_, this);
    if (waiter_ != nullptr) {
      for (Driver* driver : drivers_) driver->end_poll();
    }
  }

  std::array<Fiber*, N> fibers_;
  std::array<Driver*, N> drivers_;
  Fiber* waiter_ = nullptr;
  std::size_t winner_ = 0;
};

// Parks until every member has finished, or one has failed (thrown, or been
// cancelled): join_all's wait. The first failure is seen when it happens, as
// Rust's try_join_all and Go's errgroup see it, not once the members before
// it in order have finished (which may be never, when they wait on it).
// Returns the failed member's index, or kNoFailure.
class WaitAllOrFailure final : public CompletionListener, public WaitTarget {
 public:
  static constexpr const char* corosim_what = "join_all";
  static constexpr std::size_t kNoFailure = static_cast<std::size_t>(-1);

  explicit WaitAllOrFailure(std::vector<Fiber*> fibers) noexcept : fibers_(std::move(fibers)) {}
  WaitAllOrFailure(const WaitAllOrFailure&) = delete;
  ~WaitAllOrFailure() { unregister(); }

  static constexpr bool corosim_parks_unless_ready = true;
  bool await_ready() noexcept {
    for (std::size_t i = 0; i < fibers_.size(); ++i) {
      if (failed(*fibers_[i])) {
        failure_ = i;
        return true;
      }
    }
    return all_done();
  }
  void await_suspend(std::coroutine_handle<>) {
    waiter_ = current_fiber();
    for (Fiber* fiber : fibers_) {
      if (fiber->state != FiberState::done) fiber->listener = this;
    }
    set_waiting_on(this);
  }
  std::size_t await_resume() const noexcept { return failure_; }

  void on_fiber_done(Fiber& done) override {
    if (failed(done)) {
      for (std::size_t i = 0; i < fibers_.size(); ++i) {
        if (fibers_[i] == &done) failure_ = i;
      }
    } else if (!all_done()) {
      return;
    }
    unregister();
    fiber_wake(*std::exchange(waiter_, nullptr));
  }
  void describe(std::string& out) const override { describe_fibers(out, "join_all over fibers", fibers_); }
  void holder_ids(std::vector<std::uint32_t>& out) const override {
    for (const Fiber* fiber : fibers_) {
      if (fiber->state != FiberState::done) out.push_back(fiber->id);
    }
  }

 private:
  static bool failed(const Fiber& fiber) noexcept {
    if (fiber.state != FiberState::done) return false;
    const FiberCold* cold = fiber.cold_if_any();
    return fiber.dropped || (cold != nullptr && cold->error);
  }
  bool all_done() const noexcept { return all_fibers_done(fibers_); }
  void unregister() noexcept { stop_listening(fibers_, this); }

  std::vector<Fiber*> fibers_;
  Fiber* waiter_ = nullptr;
  std::size_t failure_ = kNoFailure;
};

// An arm of select: an owned Task (a fiber of its own, dropped if it loses)
// or a borrowed Pollable (polled while select waits, left pending if it loses).
template <class Source>
class SelectArm;

template <class T>
class SelectArm<Task<T>> {
 public:
  using value_type = T;
  static constexpr bool owned = true;
  SelectArm(Task<T> task, Driver& driver)
      : handle_(start_task(std::move(task), SourceLoc::here(), &driver)), driver_(&driver) {}
  // (A Task<void> arm is its fiber's root frame; a Task with a value is wrapped.)
  Fiber& fiber() const noexcept { return handle_.fiber_record(); }
  Driver* driver() const noexcept { return driver_; }
  void lose() { handle_.cancel(); }
  T take() { return handle_.take_result(); }

 private:
  JoinHandle<T> handle_;
  Driver* driver_;
};

template <class T>
class SelectArm<Pollable<T>*> {
 public:
  using value_type = T;
  static constexpr bool owned = false;
  SelectArm(Pollable<T>* pollable, Driver&) noexcept : pollable_(pollable) {}
  Fiber& fiber() const noexcept { return pollable_->handle().fiber_record(); }
  Driver* driver() const noexcept { return &pollable_->driver(); }
  void lose() noexcept {}  // borrowed: it stays pending where it was
  T take() { return pollable_->handle().take_result(); }

 private:
  Pollable<T>* pollable_;
};

// What select stores for an argument: a Task by value, a Pollable by address.
template <class A>
using ArmSource = std::conditional_t<corosim::IsTask<A>, std::remove_cvref_t<A>, std::remove_reference_t<A>*>;

template <class A>
ArmSource<A> arm_source(A&& arm) {
  if constexpr (corosim::IsTask<A>) {
    return std::move(arm);
  } else {
    return &arm;
  }
}

template <class A>
concept SelectArgument = (corosim::IsTask<A> && !std::is_lvalue_reference_v<A>) || requires(A& a) {
  { a.driver() } -> std::same_as<Driver&>;
  a.handle();
};

template <std::size_t I, class Variant, class Arm>
Variant take_slot(Arm& arm) {
  if constexpr (std::is_void_v<typename Arm::value_type>) {
    arm.take();
    return Variant(std::in_place_index<I>);
  } else {
    return Variant(std::in_place_index<I>, arm.take());
  }
}

template <class Variant, class Arms, std::size_t... I>
Variant take_winner(Arms& arms, std::size_t winner, std::index_sequence<I...>) {
  std::optional<Variant> result;
  ((I == winner ? (void)result.emplace(take_slot<I, Variant>(std::get<I>(arms))) : void()), ...);
  return std::move(*result);
}

inline Task<void> sleep_until_task(Duration deadline) { co_await sleep_until(deadline); }

// Every arm's canceller is `canceller`: the race (another arm finishing
// first), or the timeout or token that the arms marked in machinery_arms
// stand for (runtime machinery that nothing cancels). site: where the
// program awaits the race (unknown: the caller's current suspension point,
// which is where `co_await select(...)` stands once this body runs).
template <class... Source>
Task<std::variant<SelectSlot<typename SelectArm<Source>::value_type>...>> select_arms(
    std::uint32_t machinery_arms, Canceller canceller, SourceLoc site, Source... sources) {
  static_assert(sizeof...(Source) >= 1, "select needs at least one arm");
  using Variant = std::variant<SelectSlot<typename SelectArm<Source>::value_type>...>;
  constexpr std::size_t kArms = sizeof...(Source);
  // Owned arms run only while select waits (declared first: it outlives them).
  Driver driver("select", SourceLoc::here());
  // The arms' race_arms point here: declared before them, it outlives them.
  std::array<Fiber*, kArms> fibers{};
  std::tuple<SelectArm<Source>...> arms{SelectArm<Source>(std::move(sources), driver)...};
  fibers = std::apply([](auto&... arm) { return std::array<Fiber*, kArms>{&arm.fiber()...}; }, arms);
  std::array<Driver*, kArms> drivers =
      std::apply([](auto&... arm) { return std::array<Driver*, kArms>{arm.driver()...}; }, arms);
  constexpr std::array<bool, kArms> owned{SelectArm<Source>::owned...};
  if (!site.known()) site = running_fiber("select()").suspended_at;
  for (std::size_t i = 0; i < fibers.size(); ++i) {
    Fiber& arm = *fibers[i];
    if (!owned[i]) continue;  // a borrowed Pollable loses by staying pending: never cancelled
    const bool machinery = ((machinery_arms >> i) & 1U) != 0;
    arm.canceller = machinery ? Canceller::none : canceller;
    arm.canceller_at = site;
    arm.cold().race_arms = fibers.data();
    arm.race_size = static_cast<std::uint8_t>(kArms);
  }
  const std::size_t winner = co_await WaitAny<kArms>(fibers, drivers);
  std::apply(
      [winner](auto&... arm) {
        std::size_t index = 0;
        ((index++ != winner ? arm.lose() : void()), ...);
      },
      arms);
  // A loser dropped while it held a resource guard is closing: its async
  // close runs as a cleanup fiber. Drained means drained of that too, so
  // that what follows the race never overlaps a loser's close.
  for (std::size_t i = 0; i < kArms; ++i) {
    if (i != winner && owned[i] && fibers[i]->closing) co_await ClosingAwaiter(*fibers[i]);
  }
  co_return take_winner<Variant>(arms, winner, std::index_sequence_for<Source...>{});
}

}  // namespace detail

// Arms are Tasks (owned: started as fibers, dropped if they lose) or
// Pollables (borrowed: polled while select waits, left pending if they lose).
template <class... A>
  requires(detail::SelectArgument<A> && ...)
auto select(A&&... arms) {
  return detail::select_arms(0, Canceller::race, SourceLoc{}, detail::arm_source(std::forward<A>(arms))...);
}

template <class T>
Task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>> join_all(std::vector<Task<T>> tasks) {
  std::vector<JoinHandle<T>> handles;
  handles.reserve(tasks.size());
  for (Task<T>& task : tasks) handles.push_back(detail::spawn_part(std::move(task), SourceLoc::here()));
  std::vector<Fiber*> fibers;
  fibers.reserve(handles.size());
  for (JoinHandle<T>& handle : handles) fibers.push_back(&handle.fiber_record());
  std::exception_ptr failure;
  try {
    const std::size_t failed = co_await detail::WaitAllOrFailure(std::move(fibers));
    if (failed != detail::WaitAllOrFailure::kNoFailure) {
      handles[failed].take_result();  // throws what the member threw, or Cancelled
    }
    if constexpr (std::is_void_v<T>) {
      for (JoinHandle<T>& handle : handles) handle.take_result();
      co_return;
    } else {
      std::vector<T> results;
      results.reserve(handles.size());
      for (JoinHandle<T>& handle : handles) results.push_back(handle.take_result());
      co_return results;
    }
  } catch (...) {
    failure = std::current_exception();
  }
  // A member failed (or this await was cancelled): the rest are dropped, and
  // drained of the async closes of resource guards they held, as select's
  // losers are, before the exception goes on.
  for (JoinHandle<T>& handle : handles) {
    if (!handle.is_finished()) handle.cancel();
  }
  for (JoinHandle<T>& handle : handles) {
    if (handle.fiber_record().closing) co_await detail::ClosingAwaiter(handle.fiber_record());
  }
  std::rethrow_exception(failure);
}

// cancellable(op): runs op (a fiber of its own) under a declared external
// canceller — something outside the scenario that may cancel it at any
// suspension point, in any mode — and awaits it: nullopt (false for void) if
// op was cancelled (dropped, or unwound by Cancelled from a stop request),
// else its value. If the await of cancellable itself is cancelled, Cancelled
// propagates to the caller and op is dropped.
template <class T>
Task<std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>> cancellable(
    Task<T> operation, std::source_location where = std::source_location::current()) {
  JoinHandle<T> handle = detail::spawn_part(std::move(operation), SourceLoc::from(where));
  handle.externally_cancellable();
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
  // Where the program awaits this timeout (this body has not suspended yet).
  const SourceLoc site = detail::running_fiber("timeout()").suspended_at;
  // The timer arm is machinery: nothing cancels it; the operation's
  // canceller is the timer.
  auto result = co_await detail::select_arms(0b10, Canceller::timeout, site, std::move(operation),
                                             detail::sleep_until_task(deadline));
  if constexpr (std::is_void_v<T>) {
    co_return result.index() == 0;
  } else {
    if (result.index() != 0) co_return std::nullopt;
    co_return std::optional<T>(std::move(std::get<0>(result)));
  }
}

}  // namespace corosim
