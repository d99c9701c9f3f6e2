// Example 050: testing a coroutine with corosim from Catch2.
//
// corosim::explore() runs the body as a scenario — 100 seeds of the random
// strategy, each a different interleaving — and corosim::Passes() checks it
// met its expectation. The body may be a lambda that captures the test's
// inputs; it is called once per run, so it makes the run's state afresh.
// When the expectation is not met, Catch2 prints the failure, each fiber's
// last events, the repro file, and the command that replays it in this binary
// (COROSIM_REPLAY=FILE ./example_catch2 'the test').
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <corosim/runtime/corosim.h>
#include <corosim/harness/catch2.h>

namespace {

struct Account {
  corosim::Mutex lock;
  int balance = 0;
};

// Read, await, write, under the lock: no deposit is lost.
corosim::Task<void> deposit(Account& account, int amount) {
  auto guard = co_await account.lock.lock();
  const int read = account.balance;
  co_await corosim::yield_now();
  account.balance = read + amount;
}

}  // namespace

TEST_CASE("concurrent deposits are never lost") {
  const int first = 10;
  const int second = 20;
  REQUIRE_THAT(corosim::explore("bank/two_deposits",
                                [first, second]() -> corosim::Task<void> {
                                  Account account;  // this run's own
                                  auto a = corosim::spawn(deposit(account, first));
                                  auto b = corosim::spawn(deposit(account, second));
                                  co_await a;
                                  co_await b;
                                  CORO_CHECK(account.balance == first + second);
                                }),
               corosim::Passes());
}
