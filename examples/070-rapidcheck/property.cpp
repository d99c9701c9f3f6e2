// Example 070: a rapidcheck property whose schedule rapidcheck generates.
// corosim::RapidcheckStrategy answers every decision with *rc::gen::inRange,
// so a counterexample shrinks to the fewest depositors, the smallest amount
// and the plainest schedule that still loses a deposit.
#include <rapidcheck.h>

#include <cstdio>
#include <vector>

#include <corosim/runtime/corosim.h>
#include <corosim/sim/simulator.h>
#include <corosim/sim/strategy/rapidcheck.h>

namespace {

corosim::MainFactory bank(int depositors, int amount, bool locked, int& balance) {
  return [=, &balance]() -> corosim::Task<void> {
    balance = 0;
    corosim::Mutex lock;
    std::vector<corosim::JoinHandle<void>> handles;
    for (int i = 0; i < depositors; ++i) {
      handles.push_back(corosim::spawn([&balance, &lock, amount, locked]() -> corosim::Task<void> {
        corosim::Mutex::Guard guard;
        if (locked) guard = co_await lock.lock();
        const int seen = balance;
        co_await corosim::yield_now();
        balance = seen + amount;
      }));
    }
    for (auto& handle : handles) co_await handle;
  };
}

bool holds(bool locked) {
  return rc::check(locked ? "with the lock, every deposit counts" : "without it, one can be lost", [locked] {
    const int depositors = *rc::gen::inRange(1, 6);
    const int amount = *rc::gen::inRange(1, 100);
    int balance = 0;
    corosim::RapidcheckStrategy strategy;
    corosim::Simulator simulator(strategy);
    const corosim::RunResult run = simulator.run(bank(depositors, amount, locked, balance), 0);
    RC_ASSERT(run.passed());
    RC_ASSERT(balance == depositors * amount);
  });
}

}  // namespace

int main() {
  const bool locked_holds = holds(true);
  const bool unlocked_holds = holds(false);  // rapidcheck prints the shrunk counterexample
  std::printf("locked: %s; unlocked: %s\n", locked_holds ? "holds" : "FAILS",
              unlocked_holds ? "holds" : "fails");
  // The example succeeds when the property holds with the lock and rapidcheck
  // finds the lost update without it.
  return locked_holds && !unlocked_holds ? 0 : 1;
}
