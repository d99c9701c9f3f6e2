// check_cancel_safety: the verdict classes, and a sweep that finds each.
#include "corosim/runtime/cancel_safety.h"

#include <catch2/catch.hpp>
#include <string>

#include "corosim/runtime/corosim.h"
#include "tests/common/sweep.h"

using corosim::CancelMode;
using corosim::CancelSafety;
using corosim::CancelSafetySpec;
using corosim::Task;
using corosim::testing::strongest_class;
using corosim::testing::sweep;
using namespace std::chrono_literals;

namespace {

// Money moves between two accounts across an await.
struct Bank {
  int from = 100;
  int to = 0;
  bool frozen = false;
};

std::string balances(const Bank& bank) { return std::to_string(bank.from) + "/" + std::to_string(bank.to); }

// Debit, await, credit: cancelled in between, money vanishes.
Task<void> careless_transfer(Bank& bank) {
  bank.from -= 10;
  co_await corosim::sleep_for(1ms);
  bank.to += 10;
}

// Await first, then move the money in one step: nothing to lose.
Task<void> careful_transfer(Bank& bank) {
  co_await corosim::sleep_for(1ms);
  bank.from -= 10;
  bank.to += 10;
}

// Like careless_transfer, but a cancelled transfer freezes the account, and a
// frozen account refuses every further operation.
Task<void> freezing_transfer(Bank& bank) {
  if (bank.frozen) throw std::runtime_error("account frozen");
  bank.from -= 10;
  bank.frozen = true;  // cleared only when the transfer completes
  co_await corosim::sleep_for(1ms);
  bank.to += 10;
  bank.frozen = false;
}

corosim::MainFactory bank_check(Task<void> (*operation)(Bank&), CancelSafety claim, bool with_invariant,
                                bool with_terminal) {
  return [=]() -> Task<void> {
    CancelSafetySpec<Bank> spec;
    spec.claim = claim;
    spec.make = [] { return Bank{}; };
    spec.operation = operation;
    spec.observe = balances;
    if (with_invariant) spec.invariant = [](const Bank& bank) { return bank.from + bank.to <= 100; };
    if (with_terminal) spec.rejects_use = [](const Bank& bank) { return bank.frozen; };
    co_await corosim::check_cancel_safety(std::move(spec));
  };
}

}  // namespace

TEST_CASE("a cancel-safe operation is total at every point in every mode", "[cancel_safety]") {
  for (CancelMode mode : {CancelMode::drop, CancelMode::stop, CancelMode::prompt}) {
    auto outcome = sweep(bank_check(careful_transfer, CancelSafety::total, false, false), mode);
    INFO(corosim::cancel_mode_name(mode));
    REQUIRE(outcome.injected > 0);
    REQUIRE_FALSE(outcome.first_failure);
  }
}

TEST_CASE("an operation that loses state between awaits is found unsafe", "[cancel_safety]") {
  auto outcome = sweep(bank_check(careless_transfer, CancelSafety::total, false, false), CancelMode::drop);
  REQUIRE(outcome.first_failure);
  const auto& failure = *outcome.first_failure->failure;
  CHECK(failure.checker == corosim::Checker::cancel_safety);
  CHECK_THAT(failure.message, Catch::Contains("claimed total, but this run is unsafe"));
  CHECK_THAT(failure.message, Catch::Contains("\"80/10\""));  // debited twice, credited once
  CHECK_THAT(failure.message, Catch::Contains("\"90/10\""));
  CHECK(std::string(outcome.first_failure->injections.at(0).where.base_name()) == "cancel_safety_test.cpp");
}

TEST_CASE("the verdict classes total partial terminal and unsafe", "[cancel_safety]") {
  auto careless = [](CancelSafety claim) { return bank_check(careless_transfer, claim, true, false); };
  CHECK(strongest_class(careless, CancelMode::drop) == CancelSafety::partial);
  auto freezing = [](CancelSafety claim) { return bank_check(freezing_transfer, claim, false, true); };
  CHECK(strongest_class(freezing, CancelMode::drop) == CancelSafety::terminal);
  auto bare = [](CancelSafety claim) { return bank_check(careless_transfer, claim, false, false); };
  CHECK(strongest_class(bare, CancelMode::drop) == CancelSafety::unsafe);
  auto careful = [](CancelSafety claim) { return bank_check(careful_transfer, claim, false, false); };
  CHECK(strongest_class(careful, CancelMode::prompt) == CancelSafety::total);
}

TEST_CASE("a shield hides the cancellers outside it but not the ones it owns", "[cancel_safety][shield]") {
  auto body = []() -> Task<void> {
    co_await corosim::cancellable([]() -> Task<void> {
      co_await corosim::shielded([]() -> Task<void> {
        co_await corosim::sleep_for(1ms);  // not a point: the declared canceller is outside
        // Declared by the shielded code itself: a point.
        co_await corosim::cancellable([]() -> Task<void> { co_await corosim::yield_now(); }());
        // Owned by the shielded code: its owner may still cancel it.
        auto child = corosim::spawn([]() -> Task<void> { co_await corosim::yield_now(); });
        co_await corosim::sleep_for(1ms);
        co_await child;
      }());
      co_await corosim::yield_now();  // a point
    }());
  };
  auto outcome = sweep(body, CancelMode::drop, 1);
  REQUIRE_FALSE(outcome.first_failure);
  // The reference run, then the three points: the declared operation's
  // yield, the child's yield (stalled for its owner, who joins it instead)
  // and the yield after the shield.
  REQUIRE(outcome.runs == 4);
}
