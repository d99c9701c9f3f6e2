// CancellationToken: cancellation the program owns and passes down — tokio's
// CancellationToken with child tokens, Go's context.WithCancel, WithTimeout
// and WithDeadline.
//
//   corosim::CancellationToken request;                 // a root
//   auto part = request.child_token();                  // cancelled with it
//   auto call = request.child_with_timeout(50ms);       // ... or after 50ms
//   co_await part.cancelled();                          // parks until cancelled
//   auto got = co_await corosim::run_until_cancelled(call, fetch());  // nullopt if cancelled first
//   co_await corosim::choose(corosim::recv_from(jobs), corosim::when_cancelled(part));
//
// Contract:
// - cancel() cancels the token and every token derived from it, at once and
//   for good. It never reaches up (a child's cancel leaves its parent alone)
//   and drops no fiber: code observes it — is_cancelled(), cancelled(),
//   run_until_cancelled(), a choose case — and stops on its own, as with Go's
//   contexts. This is the program's cancellation, not the injector's: a
//   fiber's stop token (this_stop_token()) is another thing.
// - A deadline (child_with_timeout, child_with_deadline) cancels the token
//   when virtual time reaches it. reason() tells deadline_exceeded from
//   cancelled (Go's ctx.Err()); a token cancelled through an ancestor has
//   the ancestor's reason.
// - Copies share one state, which lives while a copy or a descendant does.
// - cancelled() parks until the token is cancelled (completes at once if it
//   is). Cancel-safety: total, waiting changes nothing.
// - run_until_cancelled(token, op) races op (a fiber of its own) against the
//   token, as a select: op is dropped if the token is cancelled first. The
//   token is op's canceller and one the simulator knows: exploring
//   cancellation, it holds op at each suspension point in turn while the
//   rest of the program runs, so a cancel() the program issues — or a
//   deadline, which it may bring forward — lands exactly there
//   (docs/cancellation.md).
// - Waiters are named in deadlock reports: "token#3 (deadline at 50ms)",
//   with a wait-for edge to the fibers that created the token and its
//   ancestors (whoever holds the power to cancel it).
// - Ledger: nobody still waits on a token that is cancelled.
#pragma once

#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/detail/offer.h"
#include "corosim/runtime/detail/waiter_list.h"
#include "corosim/runtime/select.h"
#include "corosim/runtime/time.h"

namespace corosim {

enum class CancelReason : std::uint8_t { none, cancelled, deadline_exceeded };
const char* cancel_reason_name(CancelReason reason) noexcept;

namespace detail {

// Told when its token is cancelled: a parked cancelled() or a choose case.
class TokenWatch {
 public:
  WaiterNode node;
  virtual void on_cancelled() = 0;

 protected:
  ~TokenWatch() = default;
};

class TokenState final : public WaitTarget, public Ledger {
 public:
  TokenState(std::shared_ptr<TokenState> parent, std::uint64_t deadline_ns, const SourceLoc& created_at);
  TokenState(const TokenState&) = delete;
  TokenState& operator=(const TokenState&) = delete;
  ~TokenState();

  void cancel(CancelReason reason);
  // Cancels, as deadline_exceeded, every token up the chain whose deadline
  // is no later than `fired_ns` (a timer set for the earliest fired then).
  void expire(std::uint64_t fired_ns);
  CancelReason reason() const;
  // The earliest deadline of this token and its ancestors.
  std::uint64_t effective_deadline() const noexcept;
  void watch(TokenWatch& watch, Fiber& fiber) {
    watch.node.owner = &watch;
    watchers_.push_back(watch.node, fiber);
  }
  void describe(std::string& out) const override;
  // Who is expected to cancel it: the fiber that created it — and, through
  // its ancestors, theirs (Go's `ctx, cancel := WithCancel(parent)`).
  std::uint32_t holder_id() const noexcept override { return creator_; }
  void holder_ids(std::vector<std::uint32_t>& out) const override;
  // Nothing still waits on a cancelled token (a lost wake-up).
  void audit(const FiberAlive& alive, std::string& out) const override;

 private:
  std::shared_ptr<TokenState> parent_;
  std::vector<TokenState*> children_;  // live children in creation order
  WaiterList watchers_;
  std::uint64_t deadline_ns_;
  std::uint32_t id_;
  std::uint32_t creator_;
  CancelReason reason_ = CancelReason::none;
};

}  // namespace detail

class CancellationToken {
 public:
  explicit CancellationToken(std::source_location created_at = std::source_location::current());

  void cancel() const { state_->cancel(CancelReason::cancelled); }
  bool is_cancelled() const { return reason() != CancelReason::none; }
  CancelReason reason() const { return state_->reason(); }
  // The earliest deadline that applies (its own or an ancestor's), if any.
  std::optional<Duration> deadline() const;

  CancellationToken child_token(std::source_location created_at = std::source_location::current()) const;
  template <class Rep, class Period>
  CancellationToken child_with_timeout(
      std::chrono::duration<Rep, Period> limit,
      std::source_location created_at = std::source_location::current()) const {
    return child_with_deadline(now(created_at) + std::chrono::duration_cast<Duration>(limit), created_at);
  }
  CancellationToken child_with_deadline(
      Duration deadline, std::source_location created_at = std::source_location::current()) const;

  class [[nodiscard]] CancelledAwaiter final : private detail::TokenWatch {
   public:
    static constexpr const char* corosim_what = "token.cancelled";
    explicit CancelledAwaiter(std::shared_ptr<detail::TokenState> state) noexcept
        : state_(std::move(state)) {}
    CancelledAwaiter(const CancelledAwaiter&) = delete;
    CancelledAwaiter& operator=(const CancelledAwaiter&) = delete;
    ~CancelledAwaiter();
    static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
    bool await_ready() const { return state_->reason() != CancelReason::none; }
    void await_suspend(std::coroutine_handle<>);
    void await_resume();

   private:
    void on_cancelled() override;
    std::shared_ptr<detail::TokenState> state_;
    TimerNode timer_;                          // its deadline_ns may be moved: brought forward, or jittered
    std::uint64_t deadline_ns_ = kNoDeadline;  // the token's, which its firing reaches
  };

  [[nodiscard]] CancelledAwaiter cancelled() const { return CancelledAwaiter(state_); }

  const std::shared_ptr<detail::TokenState>& state() const noexcept { return state_; }

 private:
  explicit CancellationToken(std::shared_ptr<detail::TokenState> state) noexcept : state_(std::move(state)) {}
  std::shared_ptr<detail::TokenState> state_;
};

namespace detail {

// A choose case ready once its token is cancelled.
class CancelledCase final : private TokenWatch {
 public:
  using Result = std::monostate;
  explicit CancelledCase(std::shared_ptr<TokenState> state) noexcept : state_(std::move(state)) {}
  CancelledCase(CancelledCase&& other) noexcept : state_(std::move(other.state_)) {}
  CancelledCase(const CancelledCase&) = delete;
  ~CancelledCase() { withdraw(); }

  bool ready() const { return state_->reason() != CancelReason::none; }
  Result perform() const noexcept { return {}; }
  void park(Offer& offer, std::size_t index, Fiber& fiber) {
    offer_ = &offer;
    index_ = index;
    state_->watch(*this, fiber);
  }
  void withdraw() noexcept { unlink_if_queued(node); }
  Result claimed() const noexcept { return {}; }
  void describe(std::string& out) const {
    state_->describe(out);
    out += ".cancelled";
  }
  // The choose's timer covers the token's deadline.
  std::uint64_t deadline_ns() const noexcept { return state_->effective_deadline(); }
  void timer_fired(std::uint64_t earliest_ns) { state_->expire(earliest_ns); }

 private:
  void on_cancelled() override {
    if (offer_->claimable()) offer_->claim(index_);
  }
  std::shared_ptr<TokenState> state_;
  Offer* offer_ = nullptr;
  std::size_t index_ = 0;
};

Task<void> token_cancelled_task(CancellationToken token);

}  // namespace detail

// A choose case: ready once the token is cancelled (Go's `case <-ctx.Done()`).
inline detail::CancelledCase when_cancelled(const CancellationToken& token) {
  return detail::CancelledCase(token.state());
}

// Runs op against the token: nullopt (false for void) if the token was
// cancelled first (op dropped), else op's value.
template <class T>
Task<std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>> run_until_cancelled(
    CancellationToken token, Task<T> operation) {
  const SourceLoc site = detail::running_fiber("run_until_cancelled()").suspended_at;
  auto result = co_await detail::select_arms(0b10, Canceller::token, site, std::move(operation),
                                             detail::token_cancelled_task(std::move(token)));
  if constexpr (std::is_void_v<T>) {
    co_return result.index() == 0;
  } else {
    if (result.index() != 0) co_return std::nullopt;
    co_return std::optional<T>(std::move(std::get<0>(result)));
  }
}

}  // namespace corosim
