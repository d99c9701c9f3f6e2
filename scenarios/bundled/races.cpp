// Lost update across an await: read, await something, write back. The await
// is a metrics send that is always ready, so the race never shows on a FIFO
// event loop; a forced suspension there lets another fiber interleave.
#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;

struct Account {
  int balance = 0;
};

Task<void> deposit(Account& account, corosim::Sender<int>& metrics) {
  const int seen = account.balance;
  co_await metrics.send(seen);
  account.balance = seen + 10;
}

Task<void> deposit_locked(Account& account, corosim::Mutex& lock, corosim::Sender<int>& metrics) {
  auto guard = co_await lock.lock();
  const int seen = account.balance;
  co_await metrics.send(seen);
  account.balance = seen + 10;
}

}  // namespace

CORO_SCENARIO("race/lost_update", corosim::fails_with(corosim::Checker::check)) {
  Account account;
  auto [metrics, sink] = corosim::unbounded_channel<int>();
  auto a = corosim::spawn(deposit(account, metrics));
  auto b = corosim::spawn(deposit(account, metrics));
  auto c = corosim::spawn(deposit(account, metrics));
  co_await a;
  co_await b;
  co_await c;
  CORO_CHECK_MSG(account.balance == 30, "balance is " + std::to_string(account.balance));
}

CORO_SCENARIO("race/lost_update_fixed", corosim::passes()) {
  Account account;
  corosim::Mutex lock;
  auto [metrics, sink] = corosim::unbounded_channel<int>();
  auto a = corosim::spawn(deposit_locked(account, lock, metrics));
  auto b = corosim::spawn(deposit_locked(account, lock, metrics));
  auto c = corosim::spawn(deposit_locked(account, lock, metrics));
  co_await a;
  co_await b;
  co_await c;
  CORO_CHECK_MSG(account.balance == 30, "balance is " + std::to_string(account.balance));
}
