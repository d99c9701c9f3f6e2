// corosim::explore() and its Catch2 matcher, as a user's test suite calls them.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

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
  CHECK_THAT(result.explanation, Catch::Contains("replay: COROSIM_REPLAY='" + result.repro_path + "' '"));
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

namespace {

// A bank whose state lives in the test, not in globals: the lambda below
// captures it and makes it afresh on every run.
struct Bank {
  int balance = 0;
};

corosim::Exploration explore_captured_bank(Bank& bank) {
  return corosim::explore("test/captured_bank", [&bank]() -> Task<void> {
    bank = Bank{};
    auto deposit = [&bank]() -> Task<void> {
      const int read = bank.balance;
      co_await corosim::yield_now();
      bank.balance = read + 10;
    };
    auto a = corosim::spawn(deposit);
    auto b = corosim::spawn(deposit);
    co_await a;
    co_await b;
    CORO_CHECK(bank.balance == 20);
  });
}

struct ShellResult {
  int status = -1;
  std::string out;
};

ShellResult run_shell(const std::string& command) {
  ShellResult result;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::size_t got = std::fread(buffer, 1, sizeof buffer, pipe.get())) result.out.append(buffer, got);
  result.status = pclose(pipe.release());
  return result;
}

// The line after `prefix` in text, or "".
std::string line_after(const std::string& text, const std::string& prefix) {
  const std::size_t at = text.find(prefix);
  if (at == std::string::npos) return "";
  const std::size_t start = at + prefix.size();
  return text.substr(start, text.find('\n', start) - start);
}

}  // namespace

TEST_CASE("explore takes a lambda that captures the test's state and COROSIM_REPLAY replays its repro",
          "[testing][replay]") {
  const std::string out = corosim::testing::fresh_folder("captured_repros");
  setenv("COROSIM_OUT", out.c_str(), 1);
  Bank bank;
  const auto explored = explore_captured_bank(bank);
  REQUIRE_FALSE(explored.met());
  REQUIRE(explored.report.runs > 1);
  REQUIRE_FALSE(explored.repro_path.empty());

  setenv("COROSIM_REPLAY", explored.repro_path.c_str(), 1);
  const auto replayed = explore_captured_bank(bank);
  const auto other = corosim::explore("test/one_deposit", one_deposit);  // not the repro's scenario
  setenv("COROSIM_REPLAY", (out + "/missing.repro").c_str(), 1);
  const auto missing = explore_captured_bank(bank);
  unsetenv("COROSIM_REPLAY");
  unsetenv("COROSIM_OUT");

  CHECK(replayed.replayed);
  CHECK(replayed.report.runs == 1);
  CHECK_FALSE(replayed.met());
  CHECK_THAT(replayed.explanation, Catch::Contains("replayed " + explored.repro_path));
  CHECK_THAT(replayed.explanation,
             Catch::Contains("outcome: failed: check at tests/harness/testing_test.cpp:"));
  CHECK_THAT(replayed.explanation, Catch::Contains("(as recorded)"));
  CHECK_THAT(replayed.explanation, Catch::Contains("CORO_CHECK(bank.balance == 20) failed"));
  CHECK(replayed.report.trace_hash == explored.report.trace_hash);
  CHECK_FALSE(other.replayed);
  CHECK(other.met());
  CHECK_FALSE(missing.status.ok());
  CHECK_THAT(missing.explanation, Catch::Contains("COROSIM_REPLAY: "));
  CHECK_THAT(missing.explanation, Catch::Contains("missing.repro"));
}

// Run only as a subprocess by the test below: it fails on purpose.
TEST_CASE("explore probe: a captured bank run by the replay line test", "[.probe]") {
  Bank bank;
  REQUIRE_THAT(explore_captured_bank(bank), corosim::Passes());
}

TEST_CASE("the printed replay line reruns the failing test alone in this binary and fails the same way",
          "[testing][replay]") {
  const std::string out = corosim::testing::fresh_folder("probe_repros");
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const ShellResult probe =
      run_shell("COROSIM_OUT=" + corosim::shell_quote(out) + " " + corosim::shell_quote(self) +
                " 'explore probe: a captured bank run by the replay line test'");
  REQUIRE(probe.status != 0);
  const std::string replay = line_after(probe.out, "corosim: replay this test alone: ");
  REQUIRE_THAT(replay, Catch::StartsWith("COROSIM_REPLAY='" + out));
  CHECK_THAT(probe.out, Catch::Contains("replay: COROSIM_REPLAY="));

  const ShellResult again = run_shell(replay);
  CHECK(again.status != 0);
  CHECK_THAT(again.out, Catch::Contains("): replayed"));  // Catch2 wraps the path
  CHECK_THAT(again.out, Catch::Contains("(as recorded)"));
  CHECK_THAT(again.out, Catch::Contains("CORO_CHECK(bank.balance == 20) failed"));
  CHECK_THAT(again.out, Catch::Contains("test cases: 1 | 1 failed"));
}
