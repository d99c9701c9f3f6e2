// Lock-order deadlock: two fibers take the same two mutexes in opposite order.
// Between the two locks each writes an audit record to an unbounded channel —
// an await that is always ready, so a FIFO event loop never switches there and
// the bug hides; the simulator's forced suspensions find the interleaving.
#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Mutex;
using corosim::Task;

Task<void> transfer(Mutex& first, Mutex& second, corosim::Sender<int>& audit, int id) {
  auto hold_first = co_await first.lock();
  co_await audit.send(id);
  auto hold_second = co_await second.lock();
  co_await audit.send(id + 100);
}

}  // namespace

CORO_SCENARIO("deadlock/lock_order", corosim::fails_with(corosim::Checker::deadlock)) {
  Mutex accounts;
  Mutex ledger;
  auto [audit, audit_log] = corosim::unbounded_channel<int>();
  auto a = corosim::spawn(transfer(accounts, ledger, audit, 1));
  auto b = corosim::spawn(transfer(ledger, accounts, audit, 2));
  co_await a;
  co_await b;
}

CORO_SCENARIO("deadlock/lock_order_fixed", corosim::passes()) {
  Mutex accounts;
  Mutex ledger;
  auto [audit, audit_log] = corosim::unbounded_channel<int>();
  auto a = corosim::spawn(transfer(accounts, ledger, audit, 1));
  auto b = corosim::spawn(transfer(accounts, ledger, audit, 2));  // one global order
  co_await a;
  co_await b;
  CORO_CHECK(audit_log.size() == 4);
}
