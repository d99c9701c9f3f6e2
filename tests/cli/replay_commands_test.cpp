// The repro commands: run --out, replay, minimize, run --regressions.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "corosim/replay/repro.h"
#include "tests/common/capture.h"

using corosim::testing::fresh_folder;
using corosim::testing::run_cli;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> files_in(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("run --out writes one repro per distinct failure and every message ends with its replay command",
          "[cli][repro]") {
  const std::string out = fresh_folder("replay_cli_out");
  auto result =
      run_cli({"run", "race/lost_update", "deadlock/lock_order", "--seeds", "60", "--quiet", "--out", out});
  REQUIRE(result.exit_code == 0);
  const auto files = files_in(out);
  REQUIRE(files.size() == 2);  // many failing seeds, one signature each
  for (const std::string& file : files) {
    CHECK(fs::path(file).extension() == ".repro");
    CHECK_THAT(result.out, Catch::Contains("replay: corosim replay " + file));
  }
  auto replay = run_cli({"replay", files[0], "--trace-tail", "5"});
  CHECK(replay.exit_code == 1);  // the failure reproduces
  CHECK_THAT(replay.out, Catch::Contains("matches the recording"));
  CHECK_THAT(replay.out, Catch::Contains("(same outcome)"));
}

TEST_CASE("COROSIM_OUT sets the repro folder", "[cli][repro]") {
  const std::string out = fresh_folder("replay_cli_env_out");
  setenv("COROSIM_OUT", out.c_str(), 1);
  auto result = run_cli({"run", "race/lost_update", "--seeds", "20", "--quiet"});
  unsetenv("COROSIM_OUT");
  REQUIRE(result.exit_code == 0);
  CHECK(files_in(out).size() == 1);
}

TEST_CASE("replay exits 3 on a diverged repro and 2 on a malformed one", "[cli][repro]") {
  const std::string out = fresh_folder("replay_cli_diverge");
  REQUIRE(run_cli({"run", "race/lost_update", "--seeds", "20", "--quiet", "--out", out}).exit_code == 0);
  const std::string file = files_in(out).front();
  auto text = corosim::read_file(file);
  REQUIRE(text.ok());
  auto repro = corosim::parse_repro(*text);
  REQUIRE(repro.ok());
  repro->decisions.resize(1);
  const std::string truncated = out + "/truncated.repro";
  REQUIRE(corosim::write_file_atomically(truncated, corosim::format_repro(*repro)).ok());
  auto diverged = run_cli({"replay", truncated});
  CHECK(diverged.exit_code == 3);
  CHECK_THAT(diverged.out, Catch::Contains("diverged"));
  CHECK_THAT(diverged.out, Catch::Contains("--continue random"));
  auto continued = run_cli({"replay", truncated, "--continue", "fifo"});
  CHECK(continued.exit_code != 3);
  CHECK(continued.exit_code != 2);

  const std::string broken = out + "/broken.repro";
  REQUIRE(corosim::write_file_atomically(broken, "corosim-repro 1\nscenario: nope/none\n").ok());
  auto malformed = run_cli({"replay", broken});
  CHECK(malformed.exit_code == 2);
  CHECK_THAT(malformed.err, Catch::Contains("missing field") || Catch::Contains("ends before"));
  auto missing = run_cli({"replay", out + "/absent.repro"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("cannot read"));
  repro->scenario = "nope/none";
  REQUIRE(corosim::write_file_atomically(broken, corosim::format_repro(*repro)).ok());
  auto unknown = run_cli({"replay", broken});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("scenario 'nope/none' is not in this binary"));
  auto bad_format = run_cli({"replay", file, "--trace", "svg"});
  CHECK(bad_format.exit_code == 2);
  CHECK_THAT(bad_format.err, Catch::Contains("unknown trace format 'svg'"));
}

TEST_CASE("replay --trace perfetto --out writes Chrome trace JSON", "[cli][repro][export]") {
  const std::string out = fresh_folder("replay_cli_perfetto");
  REQUIRE(run_cli({"run", "futurelock/mutex", "--seeds", "1", "--quiet", "--out", out}).exit_code == 0);
  const std::string file = files_in(out).front();
  const std::string trace = out + "/trace.json";
  auto result = run_cli({"replay", file, "--trace", "perfetto", "--out", trace});
  CHECK(result.exit_code == 1);
  std::ifstream in(trace);
  const auto doc = nlohmann::json::parse(in);
  CHECK(doc["traceEvents"].size() > 10);
}

TEST_CASE("minimize writes a smaller repro that replays to the same failure", "[cli][repro][minimize]") {
  const std::string out = fresh_folder("replay_cli_minimize");
  REQUIRE(run_cli({"run", "race/lost_update", "--seeds", "20", "--quiet", "--out", out}).exit_code == 0);
  const std::string file = files_in(out).front();
  const std::string small = out + "/small.repro";
  auto result = run_cli({"minimize", file, "--out", small});
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("decisions: "));
  CHECK_THAT(result.out, Catch::Contains("replay(s)"));
  auto before = corosim::parse_repro(*corosim::read_file(file));
  auto after = corosim::parse_repro(*corosim::read_file(small));
  REQUIRE(before.ok());
  REQUIRE(after.ok());
  CHECK(after->decisions.size() <= before->decisions.size());
  CHECK(after->signature() == before->signature());
  CHECK(run_cli({"replay", small}).exit_code == 1);

  auto passing = *before;
  passing.checker.reset();
  passing.location.clear();
  const std::string pass_file = out + "/pass.repro";
  REQUIRE(corosim::write_file_atomically(pass_file, corosim::format_repro(passing)).ok());
  auto nothing = run_cli({"minimize", pass_file});
  CHECK(nothing.exit_code == 1);
  CHECK_THAT(nothing.err, Catch::Contains("no failure to keep"));
}

TEST_CASE("run --regressions replays the bundled corpus and every repro meets its scenario's expectation",
          "[cli][repro][regressions]") {
  auto result = run_cli({"run", "--regressions", COROSIM_SOURCE_DIR "/scenarios/regressions", "--seeds", "1",
                         "--quiet", "race/*", "select/*", "timeout/*", "drop/*", "scope/*", "buffered/*",
                         "futurelock/*", "leak/*"});
  INFO(result.out << result.err);
  // As many as the corpus holds for those scenarios (an empty corpus prints the same line with 0).
  std::size_t selected = 0;
  for (const auto& entry : std::filesystem::directory_iterator(COROSIM_SOURCE_DIR "/scenarios/regressions")) {
    if (entry.path().extension() != ".repro") continue;
    const std::string name = entry.path().filename().string();
    for (const char* prefix :
         {"race_", "select_", "timeout_", "drop_", "scope_", "buffered_", "futurelock_", "leak_"}) {
      if (name.rfind(prefix, 0) == 0) ++selected;
    }
  }
  REQUIRE(selected >= 5);
  CHECK_THAT(result.out, Catch::Contains("  " + std::to_string(selected) + " regression(s) replayed"));
  CHECK_THAT(result.out, Catch::Contains(", 0 did not meet their expectation"));
  CHECK_THAT(result.out, !Catch::Contains("FAIL  regression"));
  auto missing = run_cli({"run", "--regressions", "/nonexistent/corosim", "--seeds", "1", "--quiet"});
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("is not a folder"));
}

TEST_CASE("run --check-determinism takes a fraction", "[cli]") {
  auto all = run_cli({"run", "race/lost_update_fixed", "--seeds", "4", "--quiet", "--check-determinism"});
  CHECK(all.exit_code == 0);
  auto bad =
      run_cli({"run", "race/lost_update_fixed", "--seeds", "4", "--quiet", "--check-determinism", "2"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("not a fraction from 0 to 1"));
}
