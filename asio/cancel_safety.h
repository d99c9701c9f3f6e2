// corosim::asio::check_cancel_safety: the cancel-safety check of
// runtime/cancel_safety.h for an asio operation — an awaitable function on a
// state — with asio's own contract as the verdict: an operation that takes a
// cancellation of type T must honour T (total: no effect; partial: a well
// defined state; terminal: only close or destroy afterwards).
//
//   CORO_ASIO_SCENARIO("inbox/receive", corosim::passes()) {
//     co_await corosim::asio::check_cancel_safety(corosim::asio::CancelSafetySpec<Inbox>{
//         .claim = corosim::CancelSafety::total,
//         .make = [](const asio::any_io_executor& ex) { return Inbox(ex); },
//         .operation = [](Inbox& inbox) { return inbox.receive_one(); },
//         .observe = [](const Inbox& inbox) { return inbox.describe(); }});
//   }
//
// One call is one run of the check: the operation on a fresh state,
// uncancelled (the reference); then on another fresh state, bound to a
// declared canceller (asio/canceller.h) that sends the claim's type or a
// weaker one, at the point the run's plan chooses (a sweep visits each); if
// it was cancelled, the retry (the operation again by default) runs to
// completion, and the two states are compared. The operation runs in a
// coroutine whose cancellation state lets every type through (co_spawn's
// default passes terminal only).
#pragma once

#include <exception>
#include <functional>
#include <source_location>
#include <string>
#include <system_error>
#include <utility>

#include "corosim/asio/canceller.h"
#include "corosim/asio/net.h"
#include "corosim/executor/fiber.h"
#include "corosim/runtime/cancel_safety.h"

namespace corosim::asio {

template <class State>
struct CancelSafetySpec {
  CancelSafety claim = CancelSafety::total;
  std::function<State(const net::any_io_executor&)> make;
  std::function<net::awaitable<void>(State&)> operation;
  std::function<std::string(const State&)> observe;
  // What the user does after a cancellation; empty: the operation again.
  std::function<net::awaitable<void>(State&)> retry;
  // partial: the state is well defined (empty: no such claim).
  std::function<bool(const State&)> invariant;
  // terminal: the object now rejects further use (empty: no such claim).
  std::function<bool(const State&)> rejects_use;
};

namespace detail {

// The types an operation claiming `claim` takes: the claim and the weaker ones.
net::cancellation_type_t types_for(CancelSafety claim) noexcept;
// The verdict an operation cancelled with `type` must reach at least.
CancelSafety required_for(net::cancellation_type_t type) noexcept;
bool is_cancellation(const std::exception_ptr& error) noexcept;
// "total", "partial" or "terminal": the strongest type in `type`.
const char* type_name(net::cancellation_type_t type) noexcept;

template <class State>
net::awaitable<void> let_every_type_through(const CancelSafetySpec<State>& spec, State& state) {
  co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
  co_await spec.operation(state);
}

}  // namespace detail

template <class State>
net::awaitable<void> check_cancel_safety(CancelSafetySpec<State> spec,
                                         std::source_location where = std::source_location::current()) {
  auto executor = co_await net::this_coro::executor;
  State reference = spec.make(executor);
  co_await spec.operation(reference);
  const std::string expected = spec.observe(reference);

  State state = spec.make(executor);
  ExternalCanceller canceller(detail::types_for(spec.claim), where);
  std::exception_ptr error;
  try {
    co_await net::co_spawn(executor, detail::let_every_type_through(spec, state),
                           net::bind_cancellation_slot(canceller.slot(), net::use_awaitable));
  } catch (...) {
    error = std::current_exception();
  }
  const net::cancellation_type_t type = canceller.emitted();
  if (error && !(type != net::cancellation_type::none && detail::is_cancellation(error))) {
    std::rethrow_exception(error);  // the operation failed by itself
  }
  if (type == net::cancellation_type::none) co_return;  // nothing was cancelled: nothing to compare

  // Cancelled: the retry. (An operation that ignored the cancellation and
  // completed must simply have done its work.)
  std::string retry_error;
  if (error) {
    try {
      if (spec.retry) {
        co_await spec.retry(state);
      } else {
        co_await spec.operation(state);
      }
    } catch (...) {
      retry_error = corosim::detail::describe_exception(
          std::current_exception());  // a terminal object rejects the retry
    }
  }
  const std::string observed = spec.observe(state);
  const CancelSafety verdict =
      corosim::detail::cancel_safety_verdict(spec, state, expected, observed, retry_error);
  if (verdict > detail::required_for(type)) {
    corosim::detail::report_cancel_safety(spec.claim, verdict, expected, observed, retry_error, where,
                                          detail::type_name(type));
  }
}

}  // namespace corosim::asio
