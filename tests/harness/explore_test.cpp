// Exploration: the determinism check catches code that does not replay.
#include "corosim/harness/explore.h"

#include <catch2/catch.hpp>
#include <string>

#include "corosim/runtime/corosim.h"

using corosim::Task;

namespace {

// Control flow that depends on state kept between runs: the second run of a
// seed differs from the first.
int calls = 0;
Task<void> remembers_previous_runs() {
  auto child = corosim::spawn([]() -> Task<void> { co_await corosim::yield_now(); });
  if (++calls % 2 == 0) co_await corosim::yield_now();
  co_await child;
}

// Fails on every run, at a different place on every other run: a failure
// that would not reproduce from its repro.
int failing_calls = 0;
Task<void> fails_differently() {
  auto child = corosim::spawn([]() -> Task<void> { co_await corosim::yield_now(); });
  if (++failing_calls % 2 == 0) co_await corosim::yield_now();
  co_await child;
  CORO_CHECK_MSG(false, "always");
}

Task<void> replays() {
  auto child = corosim::spawn([]() -> Task<void> { co_await corosim::yield_now(); });
  co_await child;
}

}  // namespace

TEST_CASE("the determinism check names the first diverging event", "[explore][determinism]") {
  corosim::Scenario scenario{"test/remembers", corosim::passes(), &remembers_previous_runs, {}};
  corosim::ExploreOptions options;
  options.seed_count = 4;
  options.determinism_check_every = 1;
  const corosim::ScenarioReport report = corosim::explore_scenario(scenario, options).value();
  REQUIRE_FALSE(report.met);
  REQUIRE(report.first_failure.has_value());
  const auto& failure = *report.first_failure->failure;
  CHECK(failure.checker == corosim::Checker::nondeterminism);
  CHECK_THAT(failure.message, Catch::Contains("first difference at event"));
  CHECK_THAT(failure.message, Catch::Contains("explore_test.cpp"));
  CHECK(std::string(failure.location.base_name()) == "explore_test.cpp");

  corosim::Scenario steady{"test/replays", corosim::passes(), &replays, {}};
  const corosim::ScenarioReport fine = corosim::explore_scenario(steady, options).value();
  CHECK(fine.met);
  // Every run checked: the 4 seeds and the sweep's runs of them.
  CHECK(fine.runs >= 4);
  CHECK(fine.determinism_checks == fine.runs);

  options.determinism_check_every = 0;
  const corosim::ScenarioReport unchecked = corosim::explore_scenario(scenario, options).value();
  CHECK(unchecked.determinism_checks == 0);
  CHECK(unchecked.met);  // without the check, the difference goes unseen
}

// Guards --determinism-check on failing runs (it once checked passing runs
// only, while its help says every Nth run): a failure that does not replay
// is reported as nondeterminism, not as the failure.
TEST_CASE("the determinism check covers failing runs too", "[explore][determinism]") {
  corosim::Scenario scenario{
      "test/fails_differently", corosim::fails_with(corosim::Checker::check), &fails_differently, {}};
  corosim::ExploreOptions options;
  options.seed_count = 4;
  options.determinism_check_every = 1;
  const corosim::ScenarioReport report = corosim::explore_scenario(scenario, options).value();
  CHECK(report.runs >= 4);
  CHECK(report.determinism_checks == report.runs);
  REQUIRE(report.first_unexpected.has_value());
  CHECK(report.first_unexpected->failure->checker == corosim::Checker::nondeterminism);
  CHECK_FALSE(report.met);
}
