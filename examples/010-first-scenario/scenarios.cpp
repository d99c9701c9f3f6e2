// Example 010: a first scenario. Two fibers deposit into one account with a
// read, an await and a write; corosim runs the body under many schedules and
// finds the interleaving that loses a deposit. The fixed version holds the
// lock across the await.
//
//   ./first_scenario list
//   ./first_scenario run                       # both meet their expectations
//   ./first_scenario run bank/lost_update --trace --out repros
#include <corosim/runtime/corosim.h>
#include <corosim/cli/cli.h>
#include <corosim/scenarios/registry.h>

namespace {

struct Account {
  corosim::Mutex lock;
  int balance = 0;
};

corosim::Task<void> deposit(Account& account, int amount) {
  const int read = account.balance;
  co_await corosim::yield_now();  // another fiber may run here
  account.balance = read + amount;
}

corosim::Task<void> locked_deposit(Account& account, int amount) {
  auto guard = co_await account.lock.lock();
  co_await deposit(account, amount);
}

}  // namespace

// The bug: expected, so finding it is the scenario passing.
CORO_SCENARIO("bank/lost_update", corosim::fails_with(corosim::Checker::check)) {
  Account account;
  auto a = corosim::spawn(deposit(account, 10));
  auto b = corosim::spawn(deposit(account, 20));
  co_await a;
  co_await b;
  CORO_CHECK(account.balance == 30);
}

CORO_SCENARIO("bank/locked", corosim::passes()) {
  Account account;
  auto a = corosim::spawn(locked_deposit(account, 10));
  auto b = corosim::spawn(locked_deposit(account, 20));
  co_await a;
  co_await b;
  CORO_CHECK(account.balance == 30);
}

int main(int argc, char** argv) { return corosim::main(argc, argv); }
