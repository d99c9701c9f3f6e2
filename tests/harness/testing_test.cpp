// corosim::explore() and its Catch2 matcher, as a user's test suite calls them.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "corosim/runtime/corosim.h"
#include "corosim/harness/catch2.h"
#include "corosim/harness/testing.h"
#include "tests/common/capture.h"

namespace {

using corosim::Task;

int balance = 0;

Task<void> deposit() {
  const int read = balance;
  co_await corosim::yield_now();
  balance = read + 10;
}

Task<void> two_deposits() {
  balance = 0;
  auto a = corosim::spawn(deposit());
  auto b = corosim::spawn(deposit());
  co_await a;
  co_await b;
  CORO_CHECK(balance == 20);
}

Task<void> one_deposit() {
  balance = 0;
  co_await deposit();
  CORO_CHECK(balance == 10);
}

}  // namespace

TEST_CASE("explore and Passes: a scenario that holds", "[testing]") {
  const auto result = corosim::explore("test/one_deposit", one_deposit);
  REQUIRE_THAT(result, corosim::Passes());
  CHECK(result.explanation.empty());
  CHECK(result.report.runs == 100);
}

TEST_CASE("explore and Passes: a broken scenario explains itself and leaves a repro", "[testing]") {
  const std::string out = corosim::testing::fresh_folder("testing_repros");
  setenv("COROSIM_OUT", out.c_str(), 1);
  const auto result = corosim::explore("test/two_deposits", two_deposits);
  unsetenv("COROSIM_OUT");
  CHECK_FALSE(corosim::Passes().match(result));
  CHECK_THAT(result.explanation, Catch::Contains("scenario test/two_deposits (passes): failed: check at "
                                                 "tests/harness/testing_test.cpp:"));
  CHECK_THAT(result.explanation, Catch::Contains("CORO_CHECK(balance == 20) failed"));
  CHECK_THAT(result.explanation, Catch::Contains("each fiber's last events:"));
  CHECK_THAT(result.explanation, Catch::Contains("FAILED"));
  REQUIRE_FALSE(result.repro_path.empty());
  CHECK(result.repro_path.rfind(out, 0) == 0);
  CHECK(std::filesystem::exists(result.repro_path));
  CHECK_THAT(result.explanation, Catch::Contains("replay: corosim replay " + result.repro_path));
  // What Catch2 prints for the failed REQUIRE_THAT is the explanation.
  CHECK_THAT(Catch::Detail::stringify(result), Catch::Contains("each fiber's last events:"));

  // Under its true expectation the same body meets it.
  REQUIRE_THAT(
      corosim::explore("test/two_deposits", two_deposits, corosim::fails_with(corosim::Checker::check)),
      corosim::Passes());
}

TEST_CASE("explore: an expected failure that never happens is explained", "[testing]") {
  corosim::ExploreOptions options;
  options.seed_count = 3;
  const auto result = corosim::explore("test/one_deposit", one_deposit,
                                       corosim::fails_with(corosim::Checker::check), options);
  CHECK_FALSE(result.met());
  CHECK_THAT(result.explanation, Catch::Contains("expected a failure, but all 3 runs passed"));
}

TEST_CASE("explore: an unknown strategy is an error and makes no run", "[testing]") {
  corosim::ExploreOptions options;
  options.strategy = "rnadom";
  const auto result = corosim::explore("test/one_deposit", one_deposit, corosim::passes(), options);
  CHECK_FALSE(result.status.ok());
  CHECK_FALSE(result.met());
  CHECK(result.report.runs == 0);
  CHECK_THAT(result.explanation, Catch::Contains("unknown strategy 'rnadom' (did you mean 'random'?)"));
  CHECK_FALSE(corosim::Passes().match(result));
}

TEST_CASE("explore: fails_with several checkers accepts any of them", "[testing]") {
  corosim::ExploreOptions options;
  options.seed_count = 20;
  using corosim::Checker;
  const auto either = corosim::explore("test/two_deposits", two_deposits,
                                       corosim::fails_with(Checker::deadlock, Checker::check), options);
  CHECK(either.met());
  const auto other = corosim::explore("test/two_deposits", two_deposits,
                                      corosim::fails_with(Checker::deadlock, Checker::futurelock), options);
  CHECK_FALSE(other.met());
  CHECK_THAT(other.explanation, Catch::Contains("(fails:deadlock|futurelock): failed: check at"));
}
