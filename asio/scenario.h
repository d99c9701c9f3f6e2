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

#include "corosim/asio/context.h"
#include "corosim/runtime/event.h"
#include "corosim/scenarios/registry.h"

namespace corosim::asio {

// Runs make_body() on a fresh Context and waits for it; rethrows what it threw.
template <class Factory>
Task<void> run(Factory make_body) {
  std::exception_ptr error;
  Event finished;
  Context context;
  net::co_spawn(context.get_executor(), make_body(), [&](std::exception_ptr thrown) {
    error = thrown;
    finished.set();
  });
  co_await finished.wait();
  context.shutdown();
  if (error) std::rethrow_exception(error);
}

}  // namespace corosim::asio

#define COROSIM_ASIO_SCENARIO_IMPL(id, name, expectation)                                \
  static ::corosim::asio::net::awaitable<void> COROSIM_CONCAT(corosim_asio_body_, id)(); \
  CORO_SCENARIO(name, expectation) {                                                     \
    co_await ::corosim::asio::run(&COROSIM_CONCAT(corosim_asio_body_, id));              \
  }                                                                                      \
  static ::corosim::asio::net::awaitable<void> COROSIM_CONCAT(corosim_asio_body_, id)()
#define CORO_ASIO_SCENARIO(name, expectation) COROSIM_ASIO_SCENARIO_IMPL(__COUNTER__, name, expectation)
