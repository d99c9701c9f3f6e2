// Golden tests of the textual artefacts, and the cross-compiler trace hash:
// the g++ and the clang build both compare against the same golden files, so
// a hash that differs between compilers fails one of them.
#include "corosim/replay/trace_text.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "corosim/scenarios/registry.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/random.h"
#include "tests/common/capture.h"
#include "tests/common/golden.h"

namespace {

struct TracedRun {
  corosim::RunResult result;
  std::string text;
};

TracedRun trace_scenario(const char* name, std::uint64_t seed) {
  const corosim::Scenario* scenario = corosim::ScenarioRegistry::global().find(name);
  REQUIRE(scenario != nullptr);
  corosim::RandomStrategy strategy;
  corosim::Simulator simulator(strategy);
  TracedRun run{simulator.run(scenario->body, seed), {}};
  std::ostringstream text;
  corosim::print_trace_text(simulator.trace(), text);
  run.text = text.str();
  return run;
}

}  // namespace

TEST_CASE("golden: text trace of the lock-order deadlock", "[golden][trace]") {
  auto run = trace_scenario("deadlock/lock_order", 0);
  REQUIRE(run.result.failure.has_value());
  corosim::testing::check_golden("trace_deadlock_lock_order_seed0.txt", run.text);
}

TEST_CASE("golden: the tail option keeps the last events", "[golden][trace]") {
  const corosim::Scenario* scenario = corosim::ScenarioRegistry::global().find("race/lost_update");
  REQUIRE(scenario != nullptr);
  corosim::RandomStrategy strategy;
  corosim::Simulator simulator(strategy);
  simulator.run(scenario->body, 0);
  std::ostringstream text;
  corosim::print_trace_text(simulator.trace(), text, corosim::TextTraceOptions{5});
  corosim::testing::check_golden("trace_lost_update_seed0_tail5.txt", text.str());
}

TEST_CASE("golden: corosim run summary and failure report", "[golden][cli]") {
  auto result =
      corosim::testing::run_cli({"run", "deadlock/*", "race/lost_update", "--seeds", "50", "--quiet"});
  REQUIRE(result.exit_code == 0);
  corosim::testing::check_golden("cli_run_deadlock_race.txt", result.out);
}

TEST_CASE("golden: trace hashes are the same on every compiler and run", "[golden][determinism]") {
  std::string table;
  for (const auto& scenario : corosim::ScenarioRegistry::global().all()) {
    for (std::uint64_t seed : {0, 1, 7}) {
      auto first = trace_scenario(scenario.name.c_str(), seed);
      auto again = trace_scenario(scenario.name.c_str(), seed);
      REQUIRE(first.result.trace_hash == again.result.trace_hash);
      REQUIRE(first.text == again.text);
      char hash[17];
      std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(first.result.trace_hash));
      table += scenario.name + " seed=" + std::to_string(seed) +
               " steps=" + std::to_string(first.result.steps) +
               " decisions=" + std::to_string(first.result.decisions.size()) + " hash=" + hash + "\n";
    }
  }
  corosim::testing::check_golden("trace_hashes.txt", table);
}
