// executor/checker.h: one name table for the closed set of checkers.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "corosim/executor/checker.h"
#include "corosim/executor/did_you_mean.h"

TEST_CASE("checker: every checker has a distinct name that reads back", "[checker]") {
  std::set<std::string> names;
  for (corosim::Checker checker : corosim::all_checkers()) {
    const std::string name = corosim::checker_name(checker);
    CHECK(name != "?");
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string::npos);
    CHECK(names.insert(name).second);
    CHECK(corosim::checker_from_name(name) == checker);
  }
  CHECK(names.size() == corosim::all_checkers().size());
  // The names users' scripts read are a contract.
  CHECK(std::string(corosim::checker_name(corosim::Checker::escaped_exception)) == "escaped-exception");
  CHECK(std::string(corosim::checker_name(corosim::Checker::cancel_safety)) == "cancel-safety");
}

TEST_CASE("checker: an unknown name gets a did-you-mean or else the list", "[checker]") {
  CHECK_FALSE(corosim::checker_from_name("deadlok").has_value());
  CHECK(corosim::checker_suggestion("deadlok") == " (did you mean 'deadlock'?)");
  CHECK(corosim::checker_suggestion("cancel_safety") == " (did you mean 'cancel-safety'?)");
  const std::string none = corosim::checker_suggestion("segfault");
  CHECK_THAT(none, Catch::StartsWith(" (the checkers are: deadlock futurelock"));
  CHECK_THAT(none, Catch::EndsWith("cancel-liveness crash)"));
}

TEST_CASE("did_you_mean: nearest first and at most three and family-blind", "[checker]") {
  CHECK(corosim::did_you_mean("random", {"fifo", "random", "pct"}) == " (did you mean 'random'?)");
  CHECK(corosim::did_you_mean("rnadom", {"fifo", "random", "pct"}) == " (did you mean 'random'?)");
  CHECK(corosim::did_you_mean("lost_update", {"race/lost_update", "race/other"}) ==
        " (did you mean 'race/lost_update'?)");
  CHECK(corosim::did_you_mean("ab", {"aa", "ac", "ad", "ae"}) == " (did you mean 'aa', 'ac' or 'ad'?)");
  CHECK(corosim::did_you_mean("telepathy", {"fifo", "random", "pct"}).empty());
}
