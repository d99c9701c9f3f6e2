// check_cancel_safety: tokio's definition of cancel safety, checked
// mechanically — cancelling an operation that has not completed and running
// it again must be a no-op — with asio's classes as the verdict.
//
//   CORO_SCENARIO("queue/push", corosim::passes().under_cancel(corosim::CancelExploration::sweep)) {
//     co_await corosim::check_cancel_safety(corosim::CancelSafetySpec<Queue>{
//         .claim = corosim::CancelSafety::total,
//         .make = [] { return Queue{}; },
//         .operation = [](Queue& q) { return q.push(1); },
//         .observe = [](const Queue& q) { return q.describe(); }});
//   }
//
// One call is one run of the check: a reference run of the operation (inline,
// shielded: never cancelled) on a fresh state; then the operation again on
// another fresh state as a cancellation boundary; if it was cancelled, the
// retry (by default the operation once more) runs to completion; then the two
// observations are compared. The exploration (a sweep) chooses where the
// cancellation lands, so a sweep of this scenario checks every point in every
// mode. A verdict weaker than the claim fails the run with the
// "cancel-safety" checker, naming both observations.
#pragma once

#include <functional>
#include <source_location>
#include <string>
#include <utility>

#include "corosim/executor/executor.h"
#include "corosim/runtime/select.h"
#include "corosim/runtime/shield.h"
#include "corosim/runtime/task.h"

namespace corosim {

// Strongest first.
enum class CancelSafety {
  total,     // no observable effect: the same state as the uncancelled run
  partial,   // a well-defined state, possibly with side effects: the invariant holds
  terminal,  // only close/destroy is safe afterwards: the object rejects further use
  unsafe,    // none of the above
};

const char* cancel_safety_name(CancelSafety verdict) noexcept;

template <class State>
struct CancelSafetySpec {
  CancelSafety claim = CancelSafety::total;
  std::function<State()> make;
  std::function<Task<void>(State&)> operation;
  std::function<std::string(const State&)> observe;
  // What the user does after a cancellation; empty: the operation again.
  std::function<Task<void>(State&)> retry;
  // partial: the state is well defined (empty: no such claim).
  std::function<bool(const State&)> invariant;
  // terminal: the object now rejects further use (empty: no such claim).
  std::function<bool(const State&)> rejects_use;
};

namespace detail {
// The strongest class the state after a cancellation and a retry is in: the
// same as the uncancelled run's, the spec's invariant, its rejects_use. Spec
// is a CancelSafetySpec (this one or asio's).
template <class Spec, class State>
CancelSafety cancel_safety_verdict(const Spec& spec, const State& state, const std::string& expected,
                                   const std::string& observed, const std::string& retry_error) {
  if (retry_error.empty() && observed == expected) return CancelSafety::total;
  if (spec.invariant && spec.invariant(state)) return CancelSafety::partial;
  if (spec.rejects_use && spec.rejects_use(state)) return CancelSafety::terminal;
  return CancelSafety::unsafe;
}

void report_cancel_safety(CancelSafety claim, CancelSafety verdict, const std::string& expected,
                          const std::string& observed, const std::string& retry_error,
                          const std::source_location& where, const char* took = nullptr);
}  // namespace detail

template <class State>
Task<void> check_cancel_safety(CancelSafetySpec<State> spec,
                               std::source_location where = std::source_location::current()) {
  State reference = spec.make();
  co_await shielded(spec.operation(reference));
  const std::string expected = spec.observe(reference);

  State state = spec.make();
  const bool completed = co_await cancellable(spec.operation(state));
  std::string retry_error;
  if (!completed) {
    // Not `co_await (a ? b : c)`: g++ 12 miscompiles a conditional operand.
    Task<void> retry;
    if (spec.retry) {
      retry = spec.retry(state);
    } else {
      retry = spec.operation(state);
    }
    try {
      co_await std::move(retry);
    } catch (const std::exception& e) {
      retry_error = e.what();  // a terminal object typically rejects the retry
    }
  }
  const std::string observed = spec.observe(state);
  const CancelSafety verdict = detail::cancel_safety_verdict(spec, state, expected, observed, retry_error);
  if (verdict > spec.claim) {
    detail::report_cancel_safety(spec.claim, verdict, expected, observed, retry_error, where);
  }
}

}  // namespace corosim
