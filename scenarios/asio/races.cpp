// asio scenarios, part 1: plain asio coroutine code (co_spawn, use_awaitable,
// steady_timer), run unchanged on corosim's simulated executor.
#include <asio/experimental/channel.hpp>
#include <chrono>
#include <exception>

#include "corosim/asio/scenario.h"
#include "corosim/runtime/check.h"

namespace {

namespace net = corosim::asio::net;
using namespace std::chrono_literals;

// --- a lost update between two co_spawned coroutines --------------------------
// Each reads the balance, waits for the ledger (a timer), writes back. Both
// timers fire at the same virtual moment: which handler runs first is a
// decision, and neither order is safe without the lock... which is a strand
// here: the fixed twin runs both on one strand and holds it across the wait
// by doing the whole update in one handler.
net::awaitable<void> deposit(int& balance, int amount) {
  const int seen = balance;
  net::steady_timer ledger(co_await net::this_coro::executor, 1ms);
  co_await ledger.async_wait(net::use_awaitable);
  balance = seen + amount;
}

net::awaitable<void> deposit_atomic(int& balance, int amount) {
  net::steady_timer ledger(co_await net::this_coro::executor, 1ms);
  co_await ledger.async_wait(net::use_awaitable);
  balance += amount;
}

template <class Deposit>
net::awaitable<void> two_deposits(Deposit deposit_fn) {
  int balance = 0;
  int done = 0;
  auto executor = co_await net::this_coro::executor;
  auto finish = [&](std::exception_ptr) { ++done; };
  net::co_spawn(executor, deposit_fn(balance, 10), finish);
  net::co_spawn(executor, deposit_fn(balance, 20), finish);
  net::steady_timer wait(executor, 10ms);
  co_await wait.async_wait(net::use_awaitable);
  CORO_CHECK_MSG(done == 2, "both deposits finished");
  CORO_CHECK_MSG(balance == 30, "a deposit was lost");
}

// --- an hour of timers ---------------------------------------------------------
net::awaitable<void> hourly_heartbeats() {
  auto executor = co_await net::this_coro::executor;
  const auto start = std::chrono::steady_clock::now();
  net::steady_timer beat(executor);
  for (int i = 0; i < 60; ++i) {
    beat.expires_after(1min);
    co_await beat.async_wait(net::use_awaitable);
  }
  CORO_CHECK_MSG(std::chrono::steady_clock::now() - start >= 1h, "sixty one-minute beats take an hour");
}

// --- a deadlock between two channels -------------------------------------------
// Two relays, each receiving from one channel and sending to the other; main
// waits for both. Unprimed, each waits for the other: nothing can run and no
// timer is pending. The fixed twin sends the first value.
using Channel = net::experimental::channel<void(net::error_code, int)>;

net::awaitable<void> relay(Channel& in, Channel& out, int hops) {
  for (int i = 0; i < hops; ++i) {
    const int value = co_await in.async_receive(net::use_awaitable);
    co_await out.async_send(net::error_code{}, value + 1, net::use_awaitable);
  }
}

net::awaitable<void> two_relays(bool primed) {
  auto executor = co_await net::this_coro::executor;
  Channel a(executor, 1);
  Channel b(executor, 1);
  Channel finished(executor, 2);
  auto done = [&](std::exception_ptr) { finished.try_send(net::error_code{}, 0); };
  net::co_spawn(executor, relay(a, b, 3), done);
  net::co_spawn(executor, relay(b, a, 3), done);
  if (primed) co_await a.async_send(net::error_code{}, 1, net::use_awaitable);
  co_await finished.async_receive(net::use_awaitable);
  co_await finished.async_receive(net::use_awaitable);
}

}  // namespace

CORO_ASIO_SCENARIO("asio/lost_update", corosim::fails_with(corosim::Checker::check)) {
  co_await two_deposits(deposit);
}
CORO_ASIO_SCENARIO("asio/lost_update_fixed", corosim::passes()) { co_await two_deposits(deposit_atomic); }
CORO_ASIO_SCENARIO("asio/heartbeats", corosim::passes()) { co_await hourly_heartbeats(); }
CORO_ASIO_SCENARIO("asio/channel_deadlock", corosim::fails_with(corosim::Checker::deadlock)) {
  co_await two_relays(false);
}
CORO_ASIO_SCENARIO("asio/channel_deadlock_fixed", corosim::passes()) { co_await two_relays(true); }
