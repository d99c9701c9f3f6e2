// The rapidcheck-driven strategy: rapidcheck generates the inputs and every
// scheduling decision, finds the lost update, and shrinks both.
#include "corosim/sim/strategy/rapidcheck.h"

#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/sim/simulator.h"

using corosim::Task;

namespace {

// n depositors each add `amount` with a read, an await and a write; with a
// mutex when fixed.
corosim::MainFactory bank(int depositors, int amount, bool fixed, int& balance) {
  return [depositors, amount, fixed, &balance]() -> Task<void> {
    balance = 0;
    corosim::Mutex lock;
    std::vector<corosim::JoinHandle<void>> handles;
    for (int i = 0; i < depositors; ++i) {
      handles.push_back(corosim::spawn([&balance, &lock, amount, fixed]() -> Task<void> {
        corosim::Mutex::Guard guard;
        if (fixed) guard = co_await lock.lock();
        const int seen = balance;
        co_await corosim::yield_now();
        balance = seen + amount;
      }));
    }
    for (auto& handle : handles) co_await handle;
  };
}

bool deposits_add_up(bool fixed, std::string* counterexample) {
  // rapidcheck reports on both streams; keep the report for the assertions.
  // (At exit it also prints how to reproduce the expected failure.)
  std::ostringstream output;
  auto* old = std::cout.rdbuf(output.rdbuf());
  auto* old_err = std::cerr.rdbuf(output.rdbuf());
  const bool held = rc::check("every deposit is counted", [fixed] {
    const int depositors = *rc::gen::inRange(1, 6);
    const int amount = *rc::gen::inRange(1, 100);
    int balance = 0;
    corosim::RapidcheckStrategy strategy;
    corosim::Simulator simulator(strategy);
    const corosim::RunResult run = simulator.run(bank(depositors, amount, fixed, balance), 0);
    RC_ASSERT(run.passed());
    RC_ASSERT(balance == depositors * amount);
  });
  std::cout.rdbuf(old);
  std::cerr.rdbuf(old_err);
  if (counterexample != nullptr) *counterexample = output.str();
  return held;
}

}  // namespace

TEST_CASE("rapidcheck drives the schedule: it finds the lost update and shrinks it",
          "[rapidcheck][strategy]") {
  std::string report;
  CHECK_FALSE(deposits_add_up(false, &report));
  INFO(report);
  // Shrunk to the smallest case: two depositors, amount 1.
  CHECK_THAT(report, Catch::Contains("Falsifiable"));
  CHECK_THAT(report, Catch::Contains("2\n"));
  CHECK(deposits_add_up(true, nullptr));
}
