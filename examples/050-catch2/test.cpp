// Example 050: testing a coroutine with corosim from Catch2.
//
// corosim::explore() runs the body as a scenario — 100 seeds of the random
// strategy, each a different interleaving — and corosim::Passes() checks it
// met its expectation. When it does not, Catch2 prints the failure, each
// fiber's last events, and the repro file to replay it.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <corosim/runtime/corosim.h>
#include <corosim/harness/catch2.h>

namespace {

struct Account {
  corosim::Mutex lock;
  int balance = 0;
};

Account account;

// Read, await, write, under the lock: no deposit is lost.
corosim::Task<void> deposit(int amount) {
  auto guard = co_await account.lock.lock();
  const int read = account.balance;
  co_await corosim::yield_now();
  account.balance = read + amount;
}

corosim::Task<void> two_deposits() {
  account.balance = 0;
  auto a = corosim::spawn(deposit(10));
  auto b = corosim::spawn(deposit(20));
  co_await a;
  co_await b;
  CORO_CHECK(account.balance == 30);
}

}  // namespace

TEST_CASE("concurrent deposits are never lost") {
  REQUIRE_THAT(corosim::explore("bank/two_deposits", two_deposits), corosim::Passes());
}
