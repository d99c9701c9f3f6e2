// Example 060: testing a coroutine with corosim from GoogleTest.
//
// corosim::gtest::Passes(corosim::explore(...)) is an AssertionResult: on
// failure its message is the failure, each fiber's last events, and the repro
// file to replay it.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <corosim/runtime/corosim.h>
#include <corosim/harness/gtest.h>

namespace {

int balance = 0;

// Read, await, write, without a lock: two of these can lose a deposit.
corosim::Task<void> careless_deposit(int amount) {
  const int read = balance;
  co_await corosim::yield_now();
  balance = read + amount;
}

corosim::Task<void> two_careless_deposits() {
  balance = 0;
  auto a = corosim::spawn(careless_deposit(10));
  auto b = corosim::spawn(careless_deposit(20));
  co_await a;
  co_await b;
  CORO_CHECK(balance == 30);
}

}  // namespace

TEST(Deposits, TheCarelessVersionLosesOneAndSaysHow) {
  // The failure an unguarded deposit produces, as a test run would report it.
  EXPECT_NONFATAL_FAILURE(
      EXPECT_TRUE(corosim::gtest::Passes(corosim::explore("bank/careless", two_careless_deposits))),
      "CORO_CHECK(balance == 30) failed");
  // ... and the command that replays it in this binary, this test alone.
  EXPECT_NONFATAL_FAILURE(
      EXPECT_TRUE(corosim::gtest::Passes(corosim::explore("bank/careless", two_careless_deposits))),
      "--gtest_filter=Deposits.TheCarelessVersionLosesOneAndSaysHow'");
}

TEST(Deposits, TheBugIsFoundWhenItIsExpected) {
  EXPECT_TRUE(corosim::gtest::Passes(corosim::explore("bank/careless", two_careless_deposits,
                                                      corosim::fails_with(corosim::Checker::check))));
}
