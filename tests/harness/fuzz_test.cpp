// Fuzzing: the byte-driven strategy, fuzz runs of scenarios, the conversions
// between fuzz inputs and repros, and the import-fuzz / export-fuzz commands.
#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "corosim/replay/replay.h"
#include "corosim/replay/repro.h"
#include "corosim/cli/replay_commands.h"
#include "corosim/harness/fuzz.h"
#include "corosim/scenarios/registry.h"
#include "corosim/executor/hash.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/bytes.h"
#include "corosim/sim/strategy/pos.h"
#include "tests/common/capture.h"

using corosim::BytesStrategy;
using corosim::DecisionKind;
using corosim::DecisionStream;
using corosim::testing::fresh_folder;
using corosim::testing::run_cli;
namespace fs = std::filesystem;

namespace {

const corosim::Scenario& scenario(const std::string& name) {
  const corosim::Scenario* found = corosim::ScenarioRegistry::global().find(name);
  REQUIRE(found != nullptr);
  return *found;
}

std::vector<fs::path> regression_repros() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(COROSIM_SOURCE_DIR) / "scenarios/regressions")) {
    if (entry.path().extension() == ".repro") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

corosim::Repro load(const fs::path& path) {
  auto loaded = corosim::cli::load_repro(path.string());
  REQUIRE(loaded.ok());
  return loaded->repro;
}

}  // namespace

TEST_CASE("the bytes strategy reads each decision's bits least significant first and data past the end is 0",
          "[fuzz][strategy]") {
  const std::string input("\x05\x03", 2);  // bits 1010 0000, 1100 0000
  BytesStrategy strategy(input);
  strategy.begin_run(0);
  std::vector<std::uint64_t> coins;
  for (int i = 0; i < 8; ++i) coins.push_back(strategy.choose(DecisionKind::yield, 2));
  CHECK(coins == std::vector<std::uint64_t>{1, 0, 1, 0, 0, 0, 0, 0});
  CHECK(strategy.choose(DecisionKind::schedule, 4) == 3);  // two bits: 1, 1
  CHECK(strategy.choose(DecisionKind::schedule, 3) == 0);  // 0, 0
  CHECK_FALSE(strategy.ran_out());
  CHECK(strategy.choose(DecisionKind::random, 1000) == 0);  // ten bits, all past the end
  CHECK(strategy.ran_out());
  CHECK(strategy.bits_read() == 22);

  // A value of n or more wraps; begin_run starts the input over.
  const std::string threes("\x03", 1);
  strategy.set_input(threes);
  strategy.begin_run(99);
  CHECK(strategy.choose(DecisionKind::timer_tie, 3) == 0);  // 3 mod 3
  strategy.begin_run(0);
  CHECK(strategy.choose(DecisionKind::schedule, 2) == 1);
}

TEST_CASE("past the end of the input the schedule follows pos seeded by the input", "[fuzz][strategy]") {
  // Without injected cancellation a run asks only schedule and yield
  // decisions, so the empty input's run is pos's for the seed hash("").
  const corosim::Scenario& reorder = scenario("sctbench/reorder_10");
  BytesStrategy bytes;
  corosim::Simulator fuzzed(bytes);
  const corosim::RunResult empty = fuzzed.run(reorder.body, 0);
  corosim::PosStrategy pos;
  corosim::Simulator sampled(pos);
  const corosim::RunResult pos_run = sampled.run(reorder.body, corosim::detail::hash_bytes("", 0));
  CHECK(empty.decisions == pos_run.decisions);

  // An input answers its own decisions first; what follows is a sample of
  // its own, so inputs with the same prefix still run different tails.
  const auto half = static_cast<std::ptrdiff_t>(pos_run.decisions.size() / 2);
  const DecisionStream chosen(pos_run.decisions.begin(), pos_run.decisions.begin() + half);
  const std::string prefix = corosim::decisions_to_bytes(chosen);
  std::vector<DecisionStream> tails;
  for (const std::string& input : {prefix, prefix + '\x00', prefix + '\x01'}) {
    bytes.set_input(input);
    const corosim::RunResult run = fuzzed.run(reorder.body, 0);
    REQUIRE(run.decisions.size() > chosen.size());
    CHECK(DecisionStream(run.decisions.begin(), run.decisions.begin() + half) == chosen);
    tails.emplace_back(run.decisions.begin() + half, run.decisions.end());
  }
  CHECK((tails[0] != tails[1] || tails[1] != tails[2]));
}

TEST_CASE("decisions_to_bytes is the input that answers the same decisions", "[fuzz][strategy]") {
  rc::prop("encode then read back", [] {
    const auto sizes = *rc::gen::container<std::vector<std::uint64_t>>(
        rc::gen::inRange<std::uint64_t>(2, std::uint64_t{1} << 40));
    DecisionStream decisions;
    for (std::uint64_t n : sizes) {
      const std::uint64_t value =
          *rc::gen::oneOf(rc::gen::just<std::uint64_t>(0), rc::gen::inRange<std::uint64_t>(0, n));
      decisions.push_back({DecisionKind::random, n, value});
    }
    const std::string bytes = corosim::decisions_to_bytes(decisions);
    // Every bit spelled out, trailing zeros too: past the end pos answers.
    std::uint64_t bits = 0;
    for (const auto& decision : decisions) bits += static_cast<std::uint64_t>(std::bit_width(decision.n - 1));
    RC_ASSERT(bytes.size() == (bits + 7) / 8);
    BytesStrategy strategy(bytes);
    strategy.begin_run(0);
    for (const auto& decision : decisions)
      RC_ASSERT(strategy.choose(decision.kind, decision.n) == decision.value);
  });
}

TEST_CASE("fuzz/scenarios.txt names every registered scenario but the SCTBench set: each has a fuzz target",
          "[fuzz]") {
  std::ifstream in(fs::path(COROSIM_SOURCE_DIR) / "fuzz/scenarios.txt");
  REQUIRE(in);
  std::vector<std::string> listed;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') listed.push_back(line);
  }
  // The benchmark set (measured by ./dev.sh bench-bugs) gets a target only
  // where listed.
  std::vector<std::string> registered;
  for (const auto& entry : corosim::ScenarioRegistry::global().all()) {
    if (!entry.in_benchmark_set() || std::find(listed.begin(), listed.end(), entry.name) != listed.end()) {
      registered.push_back(entry.name);
    }
  }
  std::sort(listed.begin(), listed.end());
  CHECK(listed == registered);
}

// The bundled fuzz targets are one program under many names
// (fuzz/bundled_target.cpp): its name must lead back to one scenario.
TEST_CASE("a fuzz target's program name leads back to its scenario and other names are refused", "[fuzz]") {
  for (const auto& entry : corosim::ScenarioRegistry::global().all()) {
    std::string target = entry.name + "_fuzzer";
    std::replace(target.begin(), target.end(), '/', '_');
    const absl::StatusOr<std::string> found = corosim::scenario_of_fuzz_target("/out/" + target);
    INFO(target);
    REQUIRE(found.ok());
    CHECK(*found == entry.name);
  }
  CHECK(corosim::scenario_of_fuzz_target("select_read_send_fuzzer").value() == "select/read_send");
  const absl::StatusOr<std::string> unknown =
      corosim::scenario_of_fuzz_target("./build/no_such_scenario_fuzzer");
  CHECK(unknown.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(unknown.status().message()), Catch::Contains("'no_such_scenario_fuzzer'"));
  for (const char* not_a_target : {"corosim", "_fuzzer", "select_read_send_fuzzer.exe"}) {
    INFO(not_a_target);
    CHECK(corosim::scenario_of_fuzz_target(not_a_target).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("fuzz runs inject a scenario's own cancellation modes at sites the input arms", "[fuzz]") {
  // A scenario that opts out of injected cancellation is fuzzed without it;
  // every other one meets its cancellers (once per run, as its sweep would).
  CHECK(corosim::fuzz_options(scenario("structure/timeout")).cancel.kind == corosim::CancelPlan::Kind::none);
  const auto automatic = corosim::fuzz_options(scenario("race/lost_update"));
  CHECK(automatic.cancel.kind == corosim::CancelPlan::Kind::random);
  CHECK(automatic.cancel.once);
  const auto sweep = corosim::fuzz_options(scenario("select/read_send"));
  REQUIRE(sweep.cancel.kind == corosim::CancelPlan::Kind::random);
  CHECK(corosim::cancel_modes_string(sweep.cancel.modes) == "drop,stop,prompt,interrupt,prestart");
  CHECK(sweep.cancel.once);  // one injection per run, as in the scenario's sweep

  // The empty input arms nothing (past the end only the schedule is
  // sampled) and the fixed variant passes; an input of all ones arms every site and fires at the
  // first point, and no more.
  corosim::FuzzHarness harness(scenario("select/read_send_owned_batch"));
  CHECK(harness.run("").passed());
  CHECK(harness.run("").injections.empty());
  const std::string ones(64, '\xff');
  harness.run(ones);
  CHECK_FALSE(harness.repro().decisions.empty());
  CHECK(harness.run(ones).injections.size() == 1);
  auto again = corosim::parse_repro(corosim::format_repro(harness.repro()));
  REQUIRE(again.ok());
  CHECK(again->cancel.once);
}

TEST_CASE("every regression repro converts to a fuzz input that fails the same way and imports back",
          "[fuzz][repro]") {
  const auto files = regression_repros();
  REQUIRE(files.size() >= 12);
  for (const fs::path& path : files) {
    INFO(path.string());
    const corosim::Repro repro = load(path);
    const corosim::Scenario& target = scenario(repro.scenario);
    auto input = corosim::fuzz_input_from_repro(target, repro);
    REQUIRE(input.ok());
    corosim::FuzzHarness harness(target);
    const corosim::RunResult& run = harness.run(*input);
    REQUIRE_FALSE(run.passed());
    CHECK(run.failure->checker == *repro.checker);
    CHECK(run.failure->location.str() == repro.location);

    // The imported repro replays exactly.
    const corosim::Repro imported = harness.repro();
    CHECK(imported.strategy == "fuzz");
    auto parsed = corosim::parse_repro(corosim::format_repro(imported));
    REQUIRE(parsed.ok());
    auto outcome = corosim::replay_repro(*parsed, target.body);
    REQUIRE(outcome.ok());
    CHECK(outcome->hash_matches);
    CHECK(outcome->signature_matches);
    CHECK(imported.signature() == repro.signature());
  }
}

TEST_CASE("a repro without a fuzz form is refused with the reason", "[fuzz][repro]") {
  corosim::Repro repro =
      load(fs::path(COROSIM_SOURCE_DIR) / "scenarios/regressions" / "select_read_send-cancel-safety.repro");
  const corosim::Scenario& target = scenario(repro.scenario);

  corosim::Repro prestart = repro;
  prestart.cancel.mode = corosim::CancelMode::prestart;
  auto refused = corosim::fuzz_input_from_repro(target, prestart);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(std::string(refused.status().message()), Catch::Contains("mode prestart, which fuzz runs"));

  corosim::Repro moved = repro;
  moved.cancel.point = 0;  // cancelling somewhere else does not make the recorded failure
  auto differs = corosim::fuzz_input_from_repro(target, moved);
  REQUIRE_FALSE(differs.ok());
  CHECK_THAT(std::string(differs.status().message()), Catch::Contains("instead of cancel-safety at"));

  corosim::Repro uncancelled =
      load(fs::path(COROSIM_SOURCE_DIR) / "scenarios/regressions" / "race_lost_update-check.repro");
  uncancelled.scenario = "structure/timeout";  // it opts out of injected cancellation
  uncancelled.cancel = corosim::CancelPlan::at(1, corosim::CancelMode::drop);
  auto no_cancel = corosim::fuzz_input_from_repro(scenario("structure/timeout"), uncancelled);
  REQUIRE_FALSE(no_cancel.ok());
  CHECK_THAT(std::string(no_cancel.status().message()), Catch::Contains("inject: nothing"));
}

TEST_CASE("import-fuzz and export-fuzz round-trip through files and report bad input", "[fuzz][cli]") {
  const std::string folder = fresh_folder("fuzz_cli");
  fs::create_directories(folder);
  const std::string repro =
      (fs::path(COROSIM_SOURCE_DIR) / "scenarios/regressions" / "select_read_send_loop-check.repro").string();
  const std::string input = folder + "/seed";
  auto exported = run_cli({"export-fuzz", repro, "--out", input});
  REQUIRE(exported.exit_code == 0);
  CHECK_THAT(exported.out, Catch::Contains("wrote " + input));

  auto imported = run_cli({"import-fuzz", "select/read_send_loop", input});
  REQUIRE(imported.exit_code == 0);
  CHECK_THAT(imported.out, Catch::Contains("failed: check at scenarios/bundled/read_send.cpp:"));
  CHECK_THAT(imported.out, Catch::Contains("replay: corosim replay " + input + ".repro"));
  auto replayed = run_cli({"replay", input + ".repro"});
  CHECK(replayed.exit_code == 1);  // the failure, reproduced
  CHECK_THAT(replayed.out, Catch::Contains("matches the recording"));

  // The same bytes on the fixed variant: the run passes (exit 1), a repro all the same.
  auto fixed =
      run_cli({"import-fuzz", "select/read_send_loop_owned_batch", input, "--out", folder + "/fixed.repro"});
  CHECK(fixed.exit_code == 1);
  CHECK_THAT(fixed.out, Catch::Contains("the run passes"));
  CHECK(fs::exists(folder + "/fixed.repro"));

  auto unknown = run_cli({"import-fuzz", "no/such", input});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown scenario 'no/such'"));
  auto missing = run_cli({"import-fuzz", "select/read_send_loop", folder + "/absent"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("cannot read"));

  REQUIRE(corosim::write_file_atomically(folder + "/bad.repro", "corosim-repro 1\nscenario: x\n").ok());
  auto malformed = run_cli({"export-fuzz", folder + "/bad.repro"});
  CHECK(malformed.exit_code == 2);
  CHECK_THAT(malformed.err, Catch::Contains("bad.repro"));
}
