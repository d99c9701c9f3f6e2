// asio coroutines as scenarios. CORO_ASIO_SCENARIO is CORO_SCENARIO whose body
// is an asio::awaitable<void>: it runs on a simulated Context (the executor
// `co_await asio::this_coro::executor` gives), under every strategy, with
// virtual time for asio's timers.
//
//   CORO_ASIO_SCENARIO("asio/lost_update", corosim::fails_with(corosim::Checker::check)) {
//     auto executor = co_await asio::this_coro::executor;
//     asio::co_spawn(executor, deposit(balance), asio::detached);
//     ...
//   }
//
// The scenario ends when its body's coroutine does; an exception escaping it
// fails the run (escaped-exception), as one escaping main does.
#pragma once

#include <exception>
#include <source_location>

#include "corosim/asio/context.h"
#include "corosim/runtime/event.h"
#include "corosim/scenarios/registry.h"

namespace corosim::asio {

// A body's run on a Context: set when its coroutine ends, with what it threw.
struct BodyRun {
  Event finished;
  std::exception_ptr error;
};

// make_body is taken by reference: a lambda coroutine's captures live in the
// lambda object, which must outlive the coroutine (run() keeps it in its frame).
template <class Factory>
void start(Context& context, BodyRun& run, Factory& make_body) {
  net::co_spawn(context.get_executor(), make_body(), [&run](std::exception_ptr thrown) {
    run.error = thrown;
    run.finished.set();
  });
}

// After the body: what it started that is still pending — a coroutine left
// running, an operation that never completes — is a leak (in production
// io_context::run would not return). Then shuts the context down while the
// run stands and rethrows the body's exception.
void finish(Context& context, BodyRun& run, std::source_location where = std::source_location::current());

// Runs make_body() on a fresh Context and waits for it; rethrows what it threw.
template <class Factory>
Task<void> run(Factory make_body) {
  BodyRun body;
  Context context;
  start(context, body, make_body);
  co_await body.finished.wait();
  co_await context.drained();
  finish(context, body);
}

}  // namespace corosim::asio

// The wait for the body is written here, in the scenario's source, so a run
// that never ends (a deadlock) is reported at the scenario's line.
#define COROSIM_ASIO_SCENARIO_IMPL(id, name, expectation)                                \
  static ::corosim::asio::net::awaitable<void> COROSIM_CONCAT(corosim_asio_body_, id)(); \
  CORO_SCENARIO(name, expectation) {                                                     \
    ::corosim::asio::BodyRun corosim_asio_run;                                           \
    ::corosim::asio::Context corosim_asio_context;                                       \
    auto* corosim_asio_body = &COROSIM_CONCAT(corosim_asio_body_, id);                   \
    ::corosim::asio::start(corosim_asio_context, corosim_asio_run, corosim_asio_body);   \
    co_await corosim_asio_run.finished.wait();                                           \
    co_await corosim_asio_context.drained();                                             \
    ::corosim::asio::finish(corosim_asio_context, corosim_asio_run);                     \
  }                                                                                      \
  static ::corosim::asio::net::awaitable<void> COROSIM_CONCAT(corosim_asio_body_, id)()
#define CORO_ASIO_SCENARIO(name, expectation) COROSIM_ASIO_SCENARIO_IMPL(__COUNTER__, name, expectation)
