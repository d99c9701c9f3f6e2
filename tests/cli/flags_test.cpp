// Strict flags: every number and path the command line takes is refused with
// a message naming it when it is out of range, signed, empty or not a number,
// rather than wrapping around or being ignored.
#include "corosim/cli/flags.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "tests/common/capture.h"

using corosim::testing::run_cli;

TEST_CASE("parse_whole takes digits within a range and nothing else", "[cli][flags]") {
  using corosim::cli::parse_whole;
  CHECK(parse_whole("0", "--x", 0).value() == 0);
  CHECK(parse_whole("18446744073709551615", "--x", 0).value() == 18446744073709551615ULL);
  CHECK(parse_whole("7", "--x", 1, 7).value() == 7);
  for (const auto& [text, why] :
       std::vector<std::pair<std::string, std::string>>{{"-1", "is not a whole number"},
                                                        {"+5", "is not a whole number"},
                                                        {" 5", "is not a whole number"},
                                                        {"5 ", "is not a whole number"},
                                                        {"1e3", "is not a whole number"},
                                                        {"0x10", "is not a whole number"},
                                                        {"2.5", "is not a whole number"},
                                                        {"", "is empty"},
                                                        {"18446744073709551616", "is too large"},
                                                        {"8", "is out of range"},
                                                        {"0", "is out of range"}}) {
    INFO(text);
    auto parsed = parse_whole(text, "--x", 1, 7);
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(std::string(parsed.status().message()),
               Catch::StartsWith("--x: '" + text + "' " + why) && Catch::EndsWith("from 1 to 7"));
  }
}

TEST_CASE("every number and path flag refuses bad values with exit 2 and names itself", "[cli][flags]") {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string repro = COROSIM_SOURCE_DIR "/scenarios/regressions/race_lost_update-check.repro";
  const std::vector<Case> cases = {
      {{"run", "race/lost_update", "--seeds", "-1"}, "--seeds: '-1' is not a whole number"},
      {{"run", "race/lost_update", "--seeds", "0"}, "--seeds: '0' is out of range"},
      {{"run", "race/lost_update", "--seeds", "ten"}, "--seeds: 'ten' is not a whole number"},
      {{"run", "race/lost_update", "--seed", "-3"}, "--seed: '-3' is not a whole number"},
      {{"run", "race/lost_update", "--seed", "99999999999999999999"},
       "--seed: '99999999999999999999' is too large"},
      {{"run", "race/lost_update", "--steps-max", "0"}, "--steps-max: '0' is out of range"},
      {{"run", "race/lost_update", "--timer-jitter-ms", "-5"},
       "--timer-jitter-ms: '-5' is not a whole number"},
      {{"run", "race/lost_update", "--timer-jitter-ms", "3600001"},
       "--timer-jitter-ms: '3600001' is out of range"},
      {{"run", "race/lost_update", "--time-max-s", "0"}, "--time-max-s: '0' is out of range"},
      {{"run", "race/lost_update", "--time-max-s", "315360001"}, "--time-max-s: '315360001' is out of range"},
      {{"run", "race/lost_update", "--trace-tail", "-1"}, "--trace-tail: '-1' is not a whole number"},
      {{"run", "race/lost_update", "--cancel-at", "-1", "--cancel-modes", "drop"},
       "--cancel-at: '-1' is not a whole number"},
      {{"run", "race/lost_update", "--determinism-check", "-1"},
       "--determinism-check: '-1' is not a whole number"},
      {{"run", "race/lost_update", "--check-determinism", "2"}, "--check-determinism"},
      {{"run", "race/lost_update", "--json", ""}, "--json: must not be empty"},
      {{"run", "race/lost_update", "--out", ""}, "--out: must not be empty"},
      {{"run", "race/lost_update", "--regressions", ""}, "--regressions: must not be empty"},
      {{"run", "race/lost_update", "--shard", "0/2"}, "--shard '0/2'"},
      {{"replay", repro, "--trace-tail", "-1"}, "--trace-tail: '-1' is not a whole number"},
      {{"replay", repro, "--out", ""}, "--out: must not be empty"},
      {{"replay", repro, "--html", ""}, "--html: must not be empty"},
      {{"minimize", repro, "--max-replays", "-1"}, "--max-replays: '-1' is not a whole number"},
      {{"minimize", repro, "--max-replays", "0"}, "--max-replays: '0' is out of range"},
      {{"minimize", repro, "--out", ""}, "--out: must not be empty"},
      {{"import-fuzz", "race/lost_update", repro, "--out", ""}, "--out: must not be empty"},
      {{"export-fuzz", repro, "--out", ""}, "--out: must not be empty"},
      {{"merge", "a.json", "--json", ""}, "--json: must not be empty"},
      {{"bogus"}, "unknown command 'bogus'; the commands are list, run, replay"},
      {{"rnu", "race/lost_update"}, "unknown command 'rnu' (did you mean 'run'?)"},
      // Nothing is injected at a point no run reaches: an error, not a quiet pass.
      {{"run", "race/lost_update", "--seeds", "2", "--quiet", "--cancel-at", "99999", "--cancel-modes",
        "drop"},
       "--cancel-at 99999: no run of race/lost_update reached that cancellation point"},
  };
  for (const Case& bad : cases) {
    std::string line;
    for (const std::string& arg : bad.args) line += " " + arg;
    INFO("corosim" << line);
    auto result = run_cli(bad.args);
    INFO(result.out << result.err);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(bad.message));
  }
}

TEST_CASE("COROSIM_SEED and COROSIM_SEEDS are as strict as the flags", "[cli][flags]") {
  for (const auto& [name, value, message] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"COROSIM_SEEDS", "0", "COROSIM_SEEDS: '0' is out of range"},
           {"COROSIM_SEEDS", "-1", "COROSIM_SEEDS: '-1' is not a whole number"},
           {"COROSIM_SEED", "-3", "COROSIM_SEED: '-3' is not a whole number"}}) {
    INFO(name << "=" << value);
    setenv(name.c_str(), value.c_str(), 1);
    auto result = run_cli({"run", "race/lost_update_fixed", "--quiet"});
    unsetenv(name.c_str());
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(message));
  }
  // Set but empty reads as unset, as runners that export every variable leave it.
  setenv("COROSIM_SEEDS", "", 1);
  auto empty = run_cli({"run", "race/lost_update_fixed", "--quiet"});
  unsetenv("COROSIM_SEEDS");
  CHECK(empty.exit_code == 0);
  CHECK_THAT(empty.out, Catch::Contains("seeds 0..99"));
}

TEST_CASE("the version flag prints the version", "[cli][flags]") {
  auto result = run_cli({"--version"});
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::StartsWith("corosim 0."));
}
