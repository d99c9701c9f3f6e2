// run --shard I/N and corosim merge: shards of one sweep add up to the sweep.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "corosim/cli/shards.h"
#include "corosim/replay/repro.h"
#include "tests/common/capture.h"
#include "tests/common/summary_json.h"

using corosim::testing::fresh_folder;
using corosim::testing::read_json;
using corosim::testing::run_cli;
using corosim::testing::scenario_entry;

TEST_CASE("the shard flag I/N is parsed with reasons for bad values", "[cli][shard]") {
  auto shard = corosim::cli::parse_shard("2/4");
  REQUIRE(shard.ok());
  CHECK(shard->index == 2);
  CHECK(shard->count == 4);
  CHECK(shard->seeds_of(10) == 3);                     // seeds 1, 5, 9
  CHECK(corosim::cli::Shard{4, 4}.seeds_of(10) == 2);  // 3, 7
  CHECK(corosim::cli::Shard{4, 4}.seeds_of(3) == 0);
  for (const auto& [text, reason] :
       std::vector<std::pair<std::string, std::string>>{{"2", "expected I/N"},
                                                        {"0/4", "numbered 1 to 4"},
                                                        {"5/4", "numbered 1 to 4"},
                                                        {"1/0", "at least 1"},
                                                        {"a/b", "whole numbers"},
                                                        {"-1/4", "whole numbers"}}) {
    auto bad = corosim::cli::parse_shard(text);
    INFO(text);
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(std::string(bad.status().message()), Catch::Contains(reason));
  }
}

TEST_CASE("three shards merged report what one unsharded run reports", "[cli][shard]") {
  const std::string folder = fresh_folder("shards");
  std::filesystem::create_directories(folder);
  const std::vector<std::string> scenarios = {"race/lost_update", "race/lost_update_fixed",
                                              "select/read_send"};
  auto run = [&](std::vector<std::string> extra, const std::string& json) {
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), scenarios.begin(), scenarios.end());
    for (const char* flag : {"--seeds", "40", "--quiet", "--json"}) args.emplace_back(flag);
    args.push_back(json);
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  };
  REQUIRE(run({}, folder + "/whole.json").exit_code == 0);
  std::vector<std::string> shards;
  for (int i = 1; i <= 3; ++i) {
    shards.push_back(folder + "/shard" + std::to_string(i) + ".json");
    auto result = run({"--shard", std::to_string(i) + "/3"}, shards.back());
    REQUIRE(result.exit_code == 0);
    CHECK(read_json(shards.back())["shard"]["index"] == i);
  }
  auto merged = run_cli({"merge", shards[2], shards[0], shards[1], "--json", folder + "/merged.json"});
  REQUIRE(merged.exit_code == 0);
  CHECK_THAT(merged.out, Catch::Contains("3 scenario(s): 3 met their expectation, 0 did not"));
  const auto whole = read_json(folder + "/whole.json");
  const auto combined = read_json(folder + "/merged.json");
  CHECK(combined["merged_from"].size() == 3);
  // The sites are a union over the shards, not one shard's.
  CHECK(scenario_entry(combined, "select/read_send")["injected_sites"].size() >= 2);
  for (const std::string& name : scenarios) {
    INFO(name);
    const auto& a = scenario_entry(whole, name);
    const auto& b = scenario_entry(combined, name);
    for (const char* field : {"runs", "failures", "cancel_points", "injected_sites", "met", "outcome",
                              "first_failure", "trace_hash"}) {
      INFO(field);
      CHECK(a[field] == b[field]);
    }
    // Every way the runs failed, counted over the shards (order aside: the
    // shards meet them in a different order than one run does).
    auto by_place = [](nlohmann::json groups) {
      std::sort(groups.begin(), groups.end(), [](const nlohmann::json& x, const nlohmann::json& y) {
        return x["checker"].dump() + x["location"].dump() < y["checker"].dump() + y["location"].dump();
      });
      return groups;
    };
    CHECK(by_place(a["failure_groups"]) == by_place(b["failure_groups"]));
    std::uint64_t grouped = 0;
    for (const auto& group : b["failure_groups"]) grouped += group["runs"].get<std::uint64_t>();
    CHECK(grouped == b["failures"].get<std::uint64_t>());
  }
}

namespace {

// Sets the variables for the scope of one run, then unsets them.
struct Environment {
  std::vector<std::string> names;
  using Values = std::vector<std::pair<std::string, std::string>>;
  explicit Environment(const Values& values) {
    for (const auto& [name, value] : values) {
      setenv(name.c_str(), value.c_str(), 1);
      names.push_back(name);
    }
  }
  Environment(const Environment&) = delete;
  ~Environment() {
    for (const std::string& name : names) unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("a test runner's shard variables split the seeds as --shard does", "[cli][shard]") {
  const std::string folder = fresh_folder("runner_shards");
  std::filesystem::create_directories(folder);
  auto run = [&](const std::string& json, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", "race/lost_update", "--seeds", "12", "--quiet", "--json", json};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  };
  std::vector<std::string> shards;
  for (int index = 0; index < 3; ++index) {  // Bazel, GoogleTest: 0-based
    shards.push_back(folder + "/bazel" + std::to_string(index) + ".json");
    const std::string status_file = folder + "/status" + std::to_string(index);
    Environment env({{"TEST_TOTAL_SHARDS", "3"},
                     {"TEST_SHARD_INDEX", std::to_string(index)},
                     {"TEST_SHARD_STATUS_FILE", status_file}});
    auto result = run(shards.back());
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out,
               Catch::Contains("(TEST_SHARD_INDEX=" + std::to_string(index) + " of TEST_TOTAL_SHARDS=3)"));
    CHECK(read_json(shards.back())["shard"]["index"] == index + 1);
    CHECK(std::filesystem::exists(status_file));  // tells the runner the binary shards
  }
  CHECK(run_cli({"merge", shards[0], shards[1], shards[2]}).exit_code == 0);

  {  // a Kubernetes Indexed Job, with the total the Job spec passes on
    Environment env({{"JOB_COMPLETION_INDEX", "1"}, {"COROSIM_TOTAL_SHARDS", "2"}});
    CHECK(run(folder + "/job.json").exit_code == 0);
    CHECK(read_json(folder + "/job.json")["shard"]["count"] == 2);
    CHECK(read_json(folder + "/job.json")["shard"]["index"] == 2);
    // --shard wins over the environment; a rerun line's one seed is never split.
    CHECK(run(folder + "/flag.json", {"--shard", "1/4"}).exit_code == 0);
    CHECK(read_json(folder + "/flag.json")["shard"]["count"] == 4);
    CHECK(run_cli({"run", "race/lost_update_fixed", "--seed", "5", "--quiet", "--json", folder + "/one.json"})
              .exit_code == 0);
    CHECK(read_json(folder + "/one.json")["shard"].is_null());
  }
  {  // without its total the index alone says nothing: the run is whole, and says why
    Environment env(Environment::Values{{"JOB_COMPLETION_INDEX", "1"}});
    auto result = run(folder + "/whole.json");
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.err, Catch::Contains("COROSIM_TOTAL_SHARDS is not: not sharding"));
    CHECK(read_json(folder + "/whole.json")["shard"].is_null());
  }
  for (const auto& [values, reason] : std::vector<std::pair<Environment::Values, std::string>>{
           {{{"TEST_TOTAL_SHARDS", "3"}, {"TEST_SHARD_INDEX", "3"}}, "TEST_SHARD_INDEX: '3' is out of range"},
           {{{"TEST_TOTAL_SHARDS", "3"}, {"TEST_SHARD_INDEX", "-1"}},
            "TEST_SHARD_INDEX: '-1' is not a whole number"},
           {{{"TEST_TOTAL_SHARDS", "0"}, {"TEST_SHARD_INDEX", "0"}}, "TEST_TOTAL_SHARDS: '0'"},
           {{{"TEST_TOTAL_SHARDS", "3"}}, "go together"},
           {{{"TEST_TOTAL_SHARDS", "20"}, {"TEST_SHARD_INDEX", "15"}},
            "only 12 seed(s) to share among 20 shards"},
           {{{"JOB_COMPLETION_INDEX", "x"}, {"COROSIM_TOTAL_SHARDS", "2"}}, "JOB_COMPLETION_INDEX: 'x'"}}) {
    Environment env(values);
    auto result = run(folder + "/bad.json");
    INFO(reason);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(reason));
  }
}

TEST_CASE("merge refuses summaries that are not the shards of one run", "[cli][shard]") {
  const std::string folder = fresh_folder("shards_bad");
  std::filesystem::create_directories(folder);
  auto shard = [&](const std::string& spec, const std::string& file, const std::string& strategy = "random") {
    REQUIRE(run_cli({"run", "race/lost_update_fixed", "--seeds", "6", "--quiet", "--strategy", strategy,
                     "--shard", spec, "--json", folder + "/" + file})
                .exit_code == 0);
    return folder + "/" + file;
  };
  const std::string one = shard("1/2", "one.json");
  const std::string two = shard("2/2", "two.json");
  const std::string other = shard("2/2", "other.json", "pct");
  REQUIRE(corosim::write_file_atomically(folder + "/broken.json", "{\"scenarios\": [").ok());

  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{one}, "shard 2/2 is missing"},
      {{one, one}, "shard 1/2 is given twice"},
      {{one, other}, "differ in 'strategy'"},
      {{one, folder + "/broken.json"}, "invalid JSON"},
      {{one, folder + "/absent.json"}, "cannot read"},
  };
  for (const auto& [inputs, reason] : cases) {
    std::vector<std::string> args = {"merge"};
    args.insert(args.end(), inputs.begin(), inputs.end());
    auto result = run_cli(args);
    INFO(reason);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains(reason));
  }
  CHECK(run_cli({"merge", one, two}).exit_code == 0);

  auto too_many = run_cli({"run", "race/lost_update_fixed", "--seeds", "2", "--shard", "3/4"});
  CHECK(too_many.exit_code == 2);
  CHECK_THAT(too_many.err, Catch::Contains("only 2 seed(s) to share among 4 shards"));
  auto stateful = run_cli({"run", "race/lost_update_fixed", "--strategy", "dfs", "--shard", "1/2"});
  CHECK(stateful.exit_code == 2);
  CHECK_THAT(stateful.err, Catch::Contains("shard by scenario instead"));
}

// Guards merge's use of first_unexpected (mutation: met decided from the
// failure count alone): a passing scenario whose shards fail with an
// unexpected budget failure must not merge into "met".
TEST_CASE("merged shards with an unexpected failure do not meet their expectation", "[cli][shard]") {
  const std::string folder = fresh_folder("shards_unexpected");
  std::filesystem::create_directories(folder);
  std::vector<std::string> shards;
  for (const char* spec : {"1/2", "2/2"}) {
    shards.push_back(folder + "/shard" + std::string(1, spec[0]) + ".json");
    auto result = run_cli({"run", "race/lost_update_fixed", "--seeds", "6", "--steps-max", "3", "--quiet",
                           "--shard", spec, "--json", shards.back()});
    REQUIRE(result.exit_code == 1);
    REQUIRE_FALSE(
        scenario_entry(read_json(shards.back()), "race/lost_update_fixed")["first_unexpected"].is_null());
  }
  auto merged = run_cli({"merge", shards[0], shards[1], "--json", folder + "/merged.json"});
  INFO(merged.out);
  CHECK(merged.exit_code == 1);
  CHECK_THAT(merged.out, Catch::Contains("1 scenario(s): 0 met their expectation, 1 did not"));
  const auto entry = scenario_entry(read_json(folder + "/merged.json"), "race/lost_update_fixed");
  CHECK(entry["met"] == false);
  CHECK(entry["first_unexpected"]["checker"] == "budget");
}
