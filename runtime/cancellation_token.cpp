#include "corosim/runtime/cancellation_token.h"

#include <algorithm>

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

const char* cancel_reason_name(CancelReason reason) noexcept {
  switch (reason) {
    case CancelReason::none: return "none";
    case CancelReason::cancelled: return "cancelled";
    case CancelReason::deadline_exceeded: return "deadline exceeded";
  }
  return "?";
}

namespace detail {

namespace {
std::string virtual_time(std::uint64_t ns) {
  return ns % 1'000'000 == 0 ? std::to_string(ns / 1'000'000) + "ms" : std::to_string(ns) + "ns";
}
}  // namespace

TokenState::TokenState(std::shared_ptr<TokenState> parent, std::uint64_t deadline_ns,
                       const SourceLoc& created_at)
    // Any fiber with a copy of the token may cancel it.
    : WaitTarget(NeverExclusive{}),
      Ledger(created_at),
      parent_(std::move(parent)),
      deadline_ns_(deadline_ns),
      id_(new_object_id()),
      creator_(current_fiber() != nullptr ? current_fiber()->id : kNoFiber) {
  if (parent_ == nullptr) return;
  // Born under a cancelled parent: cancelled from the start (Go's contexts).
  reason_ = parent_->reason_;
  parent_->children_.push_back(this);
}

TokenState::~TokenState() {
  if (parent_ == nullptr) return;
  auto& siblings = parent_->children_;
  siblings.erase(std::find(siblings.begin(), siblings.end(), this));
}

void TokenState::cancel(CancelReason reason) {
  if (reason_ != CancelReason::none) return;
  reason_ = reason;
  trace_current(TraceKind::token_cancel, id_, static_cast<std::uint64_t>(reason));
  while (!watchers_.empty()) {
    WaiterNode& node = watchers_.pop_front();
    static_cast<TokenWatch*>(node.owner)->on_cancelled();
  }
  // Children unregister only when destroyed, which a wake-up cannot cause
  // within this loop.
  for (TokenState* child : children_) child->cancel(reason);
}

void TokenState::expire(std::uint64_t fired_ns) {
  // The outermost expired ancestor first: its reason reaches everything below.
  std::vector<TokenState*> chain;
  for (TokenState* state = this; state != nullptr; state = state->parent_.get()) chain.push_back(state);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if ((*it)->deadline_ns_ <= fired_ns) (*it)->cancel(CancelReason::deadline_exceeded);
  }
}

CancelReason TokenState::reason() const {
  if (reason_ != CancelReason::none) return reason_;
  const std::uint64_t deadline = effective_deadline();
  if (deadline == kNoDeadline) return CancelReason::none;
  Executor* executor = current_executor();
  // A deadline that has passed is a cancellation, whether or not a waiter's
  // timer has fired for it yet.
  return executor != nullptr && executor->now_ns() >= deadline ? CancelReason::deadline_exceeded
                                                               : CancelReason::none;
}

std::uint64_t TokenState::effective_deadline() const noexcept {
  std::uint64_t earliest = kNoDeadline;
  for (const TokenState* state = this; state != nullptr; state = state->parent_.get()) {
    earliest = std::min(earliest, state->deadline_ns_);
  }
  return earliest;
}

void TokenState::holder_ids(std::vector<std::uint32_t>& out) const {
  for (const TokenState* state = this; state != nullptr; state = state->parent_.get()) {
    if (state->creator_ != kNoFiber && std::find(out.begin(), out.end(), state->creator_) == out.end()) {
      out.push_back(state->creator_);
    }
  }
}

void TokenState::audit(const FiberAlive&, std::string& out) const {
  if (reason_ == CancelReason::none || watchers_.empty()) return;
  describe(out);
  out += " is cancelled, but fiber " + std::to_string(watchers_.front()->fiber->id) +
         " still waits on it: a lost wake-up";
}

void TokenState::describe(std::string& out) const {
  out += "token#" + std::to_string(id_);
  if (reason_ != CancelReason::none) {
    out += std::string(" (") + cancel_reason_name(reason_) + ")";
  } else if (const std::uint64_t deadline = effective_deadline(); deadline != kNoDeadline) {
    out += " (deadline at " + virtual_time(deadline) + ")";
  }
}

Task<void> token_cancelled_task(CancellationToken token) { co_await token.cancelled(); }

}  // namespace detail

CancellationToken::CancellationToken(std::source_location created_at)
    : state_(std::make_shared<detail::TokenState>(nullptr, kNoDeadline, SourceLoc::from(created_at))) {}

std::optional<Duration> CancellationToken::deadline() const {
  const std::uint64_t deadline = state_->effective_deadline();
  if (deadline == kNoDeadline) return std::nullopt;
  return Duration(static_cast<Duration::rep>(deadline));
}

CancellationToken CancellationToken::child_token(std::source_location created_at) const {
  return CancellationToken(
      std::make_shared<detail::TokenState>(state_, kNoDeadline, SourceLoc::from(created_at)));
}

CancellationToken CancellationToken::child_with_deadline(Duration deadline,
                                                         std::source_location created_at) const {
  const std::uint64_t deadline_ns = deadline.count() < 0 ? 0 : static_cast<std::uint64_t>(deadline.count());
  return CancellationToken(
      std::make_shared<detail::TokenState>(state_, deadline_ns, SourceLoc::from(created_at)));
}

CancellationToken::CancelledAwaiter::~CancelledAwaiter() {
  detail::unlink_if_queued(node);
  if (timer_.armed) timer_.fiber->executor->cancel_timer(timer_);
}

void CancellationToken::CancelledAwaiter::await_suspend(std::coroutine_handle<>) {
  Fiber& fiber = detail::running_fiber(corosim_what);
  state_->watch(*this, fiber);
  if (const std::uint64_t deadline = state_->effective_deadline(); deadline != kNoDeadline) {
    timer_.fiber = &fiber;
    timer_.deadline_ns = deadline_ns_ = deadline;
    fiber.executor->arm_timer(timer_);
  }
  detail::set_waiting_on(state_.get());
}

void CancellationToken::CancelledAwaiter::await_resume() {
  if (node.list == nullptr) return;  // woken by the cancellation
  // Woken by the deadline's timer, which the simulator may bring forward
  // (the timer's own deadline then says now): the deadline has come for this
  // run, and the tokens that carry it are cancelled.
  detail::unlink_if_queued(node);
  state_->expire(deadline_ns_);
}

void CancellationToken::CancelledAwaiter::on_cancelled() {
  if (timer_.armed) timer_.fiber->executor->cancel_timer(timer_);
  Fiber& fiber = *node.fiber;
  if (fiber.state == FiberState::waiting) detail::fiber_wake(fiber);
}

}  // namespace corosim
