// run --regressions: what a corpus entry's replay says when the code has
// changed since it was recorded. The scenario below stands for a user's
// service across four releases (g_release), so one recorded repro meets each
// verdict: the bug still there, fixed, a new failure, and a schedule change
// that makes the recording stale.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "corosim/replay/repro.h"
#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"
#include "tests/common/capture.h"
#include "tests/common/summary_json.h"

using corosim::testing::fresh_folder;
using corosim::testing::read_json;
using corosim::testing::run_cli;
namespace fs = std::filesystem;

namespace {

// 0: loses updates; 1: fixed without changing the schedule; 2: fixed, but a
// new check fails; 3: fixed with an extra suspension (a different schedule).
int g_release = 0;

corosim::Task<void> deposit(int& balance, corosim::Sender<int>& metrics) {
  const int seen = balance;
  co_await metrics.send(seen);
  if (g_release == 3) co_await metrics.send(seen);
  balance = (g_release == 0 ? seen : balance) + 10;
}

corosim::Task<void> service() {
  int balance = 0;
  auto [metrics, sink] = corosim::unbounded_channel<int>();
  auto a = corosim::spawn(deposit(balance, metrics));
  auto b = corosim::spawn(deposit(balance, metrics));
  co_await a;
  co_await b;
  CORO_CHECK_MSG(g_release != 2, "release 2 breaks an invariant of its own");
  CORO_CHECK_MSG(balance == 20, "balance is " + std::to_string(balance));
}

// The same body twice: as a user's scenario (expected to pass once fixed) and
// as a demonstration expected to fail, like the bundled ones.
struct Registered {
  Registered() {
    corosim::register_scenario("selftest/service", corosim::passes(), &service);
    corosim::register_scenario("selftest/service_demo", corosim::fails_with(corosim::Checker::check),
                               &service);
  }
  ~Registered() {
    corosim::ScenarioRegistry::global().remove("selftest/service");
    corosim::ScenarioRegistry::global().remove("selftest/service_demo");
    g_release = 0;
  }
};

// The one repro of release 0's lost update, and a copy naming the demonstration.
std::string record_corpus() {
  const std::string found = fresh_folder("regressions_found");
  g_release = 0;
  auto run = run_cli({"run", "selftest/service", "--seeds", "60", "--quiet", "--out", found});
  REQUIRE(run.exit_code == 1);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(found)) files.push_back(entry.path());
  REQUIRE(files.size() == 1);
  const std::string corpus = fresh_folder("regressions_corpus");
  fs::create_directories(corpus);
  fs::copy_file(files[0], fs::path(corpus) / "service.repro");
  auto text = corosim::read_file(files[0].string());
  REQUIRE(text.ok());
  auto repro = corosim::parse_repro(*text);
  REQUIRE(repro.ok());
  repro->scenario = "selftest/service_demo";
  std::ofstream(fs::path(corpus) / "service_demo.repro") << corosim::format_repro(*repro);
  return corpus;
}

struct Replayed {
  int exit_code;
  std::string out;
  nlohmann::json regressions;
};

// The corpus replayed under a release. fifo exploration of one seed never
// meets the race, so the exit code is the regressions' (and release 2's check).
Replayed replay_under(int release, const std::string& corpus, const char* scenario) {
  g_release = release;
  const std::string json = fresh_folder("regressions.json");
  auto run = run_cli({"run", scenario, "--regressions", corpus, "--strategy", "fifo", "--seeds", "1",
                      "--quiet", "--json", json});
  INFO(run.out << run.err);
  auto doc = read_json(json);
  REQUIRE(doc["regressions"].is_object());
  return Replayed{run.exit_code, run.out, doc["regressions"]};
}

const nlohmann::json& entry(const nlohmann::json& regressions, const std::string& file) {
  for (const auto& e : regressions["entries"]) {
    if (e["file"] == file) return e;
  }
  FAIL("no regression entry for " << file);
  return regressions;
}

}  // namespace

TEST_CASE("a regression entry is reproduced or fixed or a new failure or stale and judged by its scenario",
          "[cli][repro][regressions]") {
  Registered registered;
  const std::string corpus = record_corpus();

  SECTION("the bug is still there: a scenario expected to pass fails; a demonstration is met") {
    auto still = replay_under(0, corpus, "selftest/service");
    CHECK(still.exit_code == 1);
    const auto& service = entry(still.regressions, "service.repro");
    CHECK(service["verdict"] == "reproduced");
    CHECK(service["met"] == false);
    CHECK(service["trace_hash_matches"] == true);
    CHECK_THAT(still.out,
               Catch::Contains("FAIL  regression service.repro: selftest/service still fails: check at"));
    CHECK(still.regressions["replayed"] == 1);  // only the selected scenario's entry
    auto demo = replay_under(0, corpus, "selftest/service_demo");
    CHECK(entry(demo.regressions, "service_demo.repro")["verdict"] == "reproduced");
    CHECK(entry(demo.regressions, "service_demo.repro")["met"] == true);
  }

  SECTION("fixed without changing the schedule: the entry stays fixed; the demonstration no longer fails") {
    auto fixed = replay_under(1, corpus, "selftest/service");
    CHECK(fixed.exit_code == 0);
    const auto& service = entry(fixed.regressions, "service.repro");
    CHECK(service["verdict"] == "fixed");
    CHECK(service["met"] == true);
    CHECK(service["now"]["passed"] == true);
    CHECK(service["recorded"]["checker"] == "check");
    CHECK_THAT(fixed.out, Catch::Contains("ok    regression service.repro: selftest/service stays fixed"));
    auto demo = replay_under(1, corpus, "selftest/service_demo");
    CHECK(entry(demo.regressions, "service_demo.repro")["verdict"] == "fixed");
    CHECK(entry(demo.regressions, "service_demo.repro")["met"] == false);
    CHECK_THAT(demo.out, Catch::Contains("no longer fails"));
  }

  SECTION("a failure elsewhere is a new failure, reported with both signatures") {
    auto changed = replay_under(2, corpus, "selftest/service");
    CHECK(changed.exit_code == 1);
    const auto& service = entry(changed.regressions, "service.repro");
    CHECK(service["verdict"] == "new_failure");
    CHECK(service["met"] == false);
    CHECK(service["now"]["checker"] == "check");
    CHECK(service["now"]["location"] != service["recorded"]["location"]);
    CHECK_THAT(changed.out, Catch::Contains("fails differently (a new failure): now check at") &&
                                Catch::Contains("; recorded check at"));
    // The demonstration fails with its checker, but not the recorded way: not met either.
    auto demo = replay_under(2, corpus, "selftest/service_demo");
    CHECK(entry(demo.regressions, "service_demo.repro")["verdict"] == "new_failure");
    CHECK(entry(demo.regressions, "service_demo.repro")["met"] == false);
  }

  SECTION("a changed schedule makes the entry stale: exit 3 when nothing else fails") {
    auto stale = replay_under(3, corpus, "selftest/service");
    CHECK(stale.exit_code == 3);
    const auto& service = entry(stale.regressions, "service.repro");
    CHECK(service["verdict"] == "stale");
    CHECK(service["met"] == false);
    CHECK(service["divergence"].is_string());
    CHECK(stale.regressions["stale"] == 1);
    CHECK(stale.regressions["not_met"] == 0);
    CHECK_THAT(stale.out, Catch::Contains("STALE regression service.repro") &&
                              Catch::Contains("re-record it (run --out) or delete it") &&
                              Catch::Contains("replayed leniently it passes"));

    // Shards replay the same corpus; merging them keeps the verdicts and the exit code.
    const std::string one = fresh_folder("regressions_shard1.json");
    const std::string two = fresh_folder("regressions_shard2.json");
    for (const auto& [shard, json] : {std::pair{"1/2", one}, std::pair{"2/2", two}}) {
      REQUIRE(run_cli({"run", "selftest/service", "--regressions", corpus, "--strategy", "fifo", "--seeds",
                       "2", "--shard", shard, "--quiet", "--json", json})
                  .exit_code == 3);
    }
    const std::string merged = fresh_folder("regressions_merged.json");
    auto merge = run_cli({"merge", one, two, "--json", merged});
    INFO(merge.out << merge.err);
    CHECK(merge.exit_code == 3);
    CHECK_THAT(merge.out,
               Catch::Contains("1 regression(s) replayed (the same in every shard): 0 did not meet "
                               "their expectation, 1 stale"));
    CHECK(entry(read_json(merged)["regressions"], "service.repro")["verdict"] == "stale");
  }
  SECTION("a stale entry and a scenario that fails: the failure decides the exit code") {
    auto both = replay_under(3, corpus, "selftest/*");  // fifo never fails the demonstration
    CHECK(both.exit_code == 1);
    CHECK(both.regressions["stale"] == 2);
  }
}
