// Example 080: one line makes a scenario a libFuzzer target. Every decision
// of the run — which fiber runs, where a cancellation lands and in which mode
// — is read from the fuzzer's input; a failing run prints its report and
// aborts, and `corosim import-fuzz bank/transfer CRASH-FILE` (in a binary that
// registers the scenario) turns the crash file into a repro.
//
//   clang++ ... -fsanitize=fuzzer: ./bank_fuzzer -max_total_time=60 corpus/
#include <corosim/fuzz/target.h>
#include <corosim/runtime/corosim.h>
#include <corosim/scenarios/registry.h>

namespace {

struct Account {
  corosim::Mutex lock;
  int balance = 0;
};

corosim::Task<void> deposit(Account& account, int amount) {
  auto guard = co_await account.lock.lock();
  const int read = account.balance;
  co_await corosim::yield_now();
  account.balance = read + amount;
}

}  // namespace

CORO_SCENARIO("bank/transfer", corosim::passes()) {
  Account account;
  auto a = corosim::spawn(deposit(account, 10));
  auto b = corosim::spawn(deposit(account, 20));
  // Either deposit may be cancelled; what lands must be whole deposits.
  try {
    co_await a;
  } catch (const corosim::Cancelled&) {
  }
  try {
    co_await b;
  } catch (const corosim::Cancelled&) {
  }
  CORO_CHECK(account.balance == 0 || account.balance == 10 || account.balance == 20 || account.balance == 30);
}

CORO_FUZZ_TARGET("bank/transfer")
