// The corosim command line, driven in-process over the bundled scenarios
// (compiled into this binary).
#include "corosim/cli/cli.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"
#include "tests/common/capture.h"
#include "tests/common/summary_json.h"

using corosim::testing::run_cli;

namespace {

using corosim::testing::temp_path;

using corosim::testing::read_json;
using corosim::testing::scenario_entry;

// The one file a run's --out folder holds: its repro.
std::string only_file_in(const std::string& folder) {
  std::string file;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) file = entry.path().string();
  REQUIRE_FALSE(file.empty());
  return file;
}

}  // namespace

TEST_CASE("corosim list prints one scenario a line with the name first", "[cli]") {
  auto result = run_cli({"list"});
  REQUIRE(result.exit_code == 0);
  std::istringstream lines(result.out);
  std::string line;
  std::size_t count = 0;
  while (std::getline(lines, line)) {
    const std::string name = line.substr(0, line.find(' '));
    REQUIRE(corosim::ScenarioRegistry::global().find(name) != nullptr);
    ++count;
  }
  REQUIRE(count == corosim::ScenarioRegistry::global().all().size());
  REQUIRE_THAT(result.out, Catch::Contains("deadlock/lock_order "));
  REQUIRE_THAT(result.out, Catch::Contains("fails:deadlock"));
}

TEST_CASE("corosim run --seeds 200 --json: every bundled scenario meets its expectation", "[cli]") {
  const std::string path = temp_path("all.json");
  auto result = run_cli({"run", "--seeds", "200", "--quiet", "--json", path});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  const auto doc = read_json(path);
  REQUIRE(doc["summary"]["not_met"] == 0);
  const auto& deadlock = scenario_entry(doc, "deadlock/lock_order");
  CHECK(deadlock["expect"] == "fails:deadlock");
  CHECK(deadlock["outcome"] == "failed");
  CHECK(deadlock["met"] == true);
  // Every seed once, plus the runs auto spends sweeping the first seeds'
  // cancellation points (one run per seed at most, docs/cancellation.md).
  CHECK(deadlock["runs"].get<int>() >= 200);
  CHECK(deadlock["runs"].get<int>() <= 2 * 200 + 20);
  CHECK_THAT(deadlock["cancel"].get<std::string>(), Catch::StartsWith("auto"));
  CHECK(deadlock["failures"].get<int>() > 0);
  CHECK(deadlock["first_failure"]["checker"] == "deadlock");
  CHECK_THAT(deadlock["first_failure"]["location"].get<std::string>(),
             Catch::StartsWith("scenarios/bundled/deadlock.cpp:"));
  CHECK_THAT(deadlock["first_failure"]["message"].get<std::string>(),
             Catch::Contains("held by fiber 2") && Catch::Contains("held by fiber 1"));
  CHECK(deadlock["trace_hash"].get<std::string>().size() == 16);
  const auto& fixed = scenario_entry(doc, "deadlock/lock_order_fixed");
  CHECK(fixed["outcome"] == "passed");
  CHECK(fixed["failures"] == 0);
  CHECK(fixed["first_failure"].is_null());
  std::remove(path.c_str());
}

TEST_CASE("corosim run finds the lock-order deadlock with random and 100 seeds", "[cli]") {
  auto result = run_cli({"run", "deadlock/lock_order", "--strategy", "random", "--seeds", "100", "--quiet"});
  REQUIRE(result.exit_code == 0);
  REQUIRE_THAT(result.out, Catch::Contains("first failure: seed"));
  REQUIRE_THAT(result.out, Catch::Contains("cycle: fiber 1 -> mutex#1 -> fiber 2 -> mutex#0 -> fiber 1"));
  REQUIRE_THAT(result.out,
               Catch::Contains("rerun: corosim run deadlock/lock_order --strategy random --seed"));
}

TEST_CASE("corosim run exits 1 when a scenario misses its expectation", "[cli]") {
  // Under fifo the ready-await race never interleaves: the must-fail scenario passes.
  auto result = run_cli({"run", "race/lost_update", "--strategy", "fifo", "--seeds", "5", "--quiet"});
  REQUIRE(result.exit_code == 1);
  REQUIRE_THAT(result.out, Catch::Contains("expected fails:check but every run passed"));
}

TEST_CASE("corosim run globs select scenarios", "[cli]") {
  const std::string path = temp_path("glob.json");
  auto result = run_cli({"run", "structure/*", "--seeds", "3", "--quiet", "--json", path});
  REQUIRE(result.exit_code == 0);
  const auto doc = read_json(path);
  REQUIRE(doc["scenarios"].size() == 3);
  for (const auto& entry : doc["scenarios"]) {
    REQUIRE_THAT(entry["name"].get<std::string>(), Catch::StartsWith("structure/"));
  }
  std::remove(path.c_str());
}

TEST_CASE("usage errors exit 2 with a clear message", "[cli]") {
  auto unknown = run_cli({"run", "no/such/scenario"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown scenario 'no/such/scenario'"));
  CHECK_THAT(unknown.err, Catch::Contains("`corosim list` shows the scenarios"));  // nothing close

  // A typo, a missing family, a wrong family: the closest names are offered.
  auto typo = run_cli({"run", "race/lost_updat"});
  CHECK(typo.exit_code == 2);
  CHECK_THAT(typo.err, Catch::Contains("(did you mean 'race/lost_update'?)"));
  auto bare_name = run_cli({"run", "lost_update"});
  CHECK_THAT(bare_name.err,
             Catch::Contains("did you mean 'asio/lost_update', 'bugs/lost_update' or 'race/lost_update'?"));
  auto family = run_cli({"import-fuzz", "selects/read_send", "/dev/null"});
  CHECK(family.exit_code == 2);
  CHECK_THAT(family.err, Catch::Contains("did you mean 'select/read_send'"));

  auto strategy = run_cli({"run", "--strategy", "telepathy"});
  CHECK(strategy.exit_code == 2);
  CHECK_THAT(strategy.err, Catch::Contains("unknown strategy 'telepathy'"));
  CHECK_THAT(strategy.err, Catch::Contains("fifo, random"));

  auto flag = run_cli({"run", "--no-such-flag"});
  CHECK(flag.exit_code == 2);

  auto both = run_cli({"run", "--seed", "1", "--seeds", "2"});
  CHECK(both.exit_code == 2);

  auto not_a_number = run_cli({"run", "--seeds", "many"});
  CHECK(not_a_number.exit_code == 2);

  auto zero = run_cli({"run", "--seeds", "0"});
  CHECK(zero.exit_code == 2);
  CHECK_THAT(zero.err, Catch::Contains("--seeds: '0' is out of range"));

  auto no_command = run_cli({});
  CHECK(no_command.exit_code == 2);

  auto bad_json = run_cli({"run", "structure/timeout", "--seeds", "1", "--json", "/nonexistent/dir/x.json"});
  CHECK(bad_json.exit_code == 2);
  CHECK_THAT(bad_json.err, Catch::Contains("cannot write --json file"));
}

TEST_CASE("run --help documents every run flag", "[cli]") {
  auto help = run_cli({"run", "--help"});
  REQUIRE(help.exit_code == 0);
  for (const char* flag : {"--seed", "--seeds", "--seed-start", "--strategy", "--json", "--steps-max",
                           "--trace", "--trace-tail", "--quiet", "--cancel", "--cancel-modes", "--cancel-at",
                           "--determinism-check", "--check-determinism", "--out", "--regressions"}) {
    CHECK_THAT(help.out, Catch::Contains(flag));
  }
}

TEST_CASE("run --seed-start runs a range of seeds that does not start at 0", "[cli]") {
  const std::string path = temp_path("seed_start.json");
  auto result = run_cli({"run", "race/lost_update", "--seed-start", "1000", "--seeds", "30", "--strategy",
                         "random", "--cancel", "none", "--quiet", "--json", path});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("seeds 1000..1029"));
  const auto doc = read_json(path);
  CHECK(doc["seeds"]["first"] == 1000);
  CHECK(doc["seeds"]["count"] == 30);
  const auto& race = scenario_entry(doc, "race/lost_update");
  CHECK(race["runs"] == 30);
  CHECK(race["first_failure"]["seed"].get<int>() >= 1000);
  std::remove(path.c_str());
  // Two halves of a range find what the whole range finds (resuming, or splitting across machines).
  auto whole = run_cli({"run", "race/lost_update", "--seeds", "40", "--cancel", "none"});
  auto second =
      run_cli({"run", "race/lost_update", "--seed-start", "20", "--seeds", "20", "--cancel", "none"});
  CHECK(whole.out.find("40 run(s)") != std::string::npos);
  CHECK(second.out.find("20 run(s)") != std::string::npos);
  auto clash = run_cli({"run", "race/lost_update", "--seed-start", "3", "--seed", "4"});
  CHECK(clash.exit_code == 2);
  CHECK_THAT(clash.err, Catch::Contains("--seed-start"));
}

TEST_CASE(
    "portfolio runs every schedule asked for once dfs is exhausted and names the member that found a "
    "failure",
    "[cli][strategy]") {
  const std::string path = temp_path("portfolio.json");
  auto clean = run_cli({"run", "bugs/lost_update_fixed", "--strategy", "portfolio", "--seeds", "3000",
                        "--cancel", "none", "--json", path});
  INFO(clean.out << clean.err);
  REQUIRE(clean.exit_code == 0);
  CHECK_THAT(clean.out, Catch::Contains("exhausted: dfs enumerated all"));
  CHECK(scenario_entry(read_json(path), "bugs/lost_update_fixed")["runs"] == 3000);

  auto found = run_cli({"run", "sctbench/reorder_5", "--strategy", "portfolio", "--seeds", "600", "--cancel",
                        "none", "--json", path});
  INFO(found.out << found.err);
  REQUIRE(found.exit_code == 0);
  const auto failure = scenario_entry(read_json(path), "sctbench/reorder_5")["first_failure"];
  const std::string member = failure["found_by"];
  CHECK((member == "random" || member == "pct:3" || member == "pos" || member == "dfs:2"));
  CHECK_THAT(found.out, Catch::Contains("(found by " + member + ")"));
  std::remove(path.c_str());
}

TEST_CASE("environment variables set run defaults", "[cli]") {
  const std::string path = temp_path("env.json");
  setenv("COROSIM_SEEDS", "7", 1);
  setenv("COROSIM_STRATEGY", "fifo", 1);
  auto result = run_cli({"run", "structure/timeout", "--quiet", "--json", path});
  unsetenv("COROSIM_SEEDS");
  unsetenv("COROSIM_STRATEGY");
  REQUIRE(result.exit_code == 0);
  const auto doc = read_json(path);
  CHECK(doc["strategy"] == "fifo");
  CHECK(doc["seeds"]["count"] == 7);
  std::remove(path.c_str());

  setenv("COROSIM_SEEDS", "lots", 1);
  auto bad = run_cli({"run", "structure/timeout", "--quiet"});
  unsetenv("COROSIM_SEEDS");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("COROSIM_SEEDS: 'lots' is not a whole number"));
}

TEST_CASE("run --cancel sweep stalls at every point and names the canceller", "[cli][cancel]") {
  const std::string path = temp_path("cancel.json");
  // timeout/partial_write_loop writes frames in chunks under a timeout: the
  // timeout firing while a frame is half written corrupts the stream. On about
  // half the schedules it fires there on its own; seed 2's reference run is
  // not one of them, so its first failure is one the sweep injected.
  auto result = run_cli(
      {"run", "timeout/partial_write_loop", "--cancel", "sweep", "--seed", "2", "--quiet", "--json", path});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);
  REQUIRE_THAT(result.out, Catch::Contains("cancelled: the timeout at scenarios/bundled/partial_write.cpp:"));
  REQUIRE_THAT(result.out, Catch::Contains(" fired while fiber "));
  const auto doc = read_json(path);
  const auto& entry = scenario_entry(doc, "timeout/partial_write_loop");
  CHECK(entry["cancel"] == "sweep (drop,stop,prompt,interrupt,prestart)");
  // The timeout's canceller drops: one run per point, not one per mode.
  CHECK(entry["runs"].get<int>() >= 4);
  CHECK(entry["runs"].get<int>() <= entry["cancel_points"].get<int>() + 1);
  const auto& failure = entry["first_failure"];
  CHECK(failure["canceller"] == "timeout");
  CHECK(failure["cancel_landed"] == true);
  CHECK(failure["cancel_mode"] == "drop");
  CHECK_THAT(failure["canceller_location"].get<std::string>(),
             Catch::StartsWith("scenarios/bundled/partial_write.cpp:"));
  std::remove(path.c_str());

  // The printed rerun command reproduces that one run.
  const std::string point = std::to_string(failure["cancel_point"].get<int>());
  auto rerun = run_cli({"run", "timeout/partial_write_loop", "--seed", "0", "--cancel-at", point,
                        "--cancel-modes", "drop", "--quiet"});
  REQUIRE(rerun.exit_code == 0);
  REQUIRE_THAT(rerun.out, Catch::Contains("1 run(s), 1 with cancellation at 1 site(s), 1 failure(s)"));
}

namespace {

// A check that needs the 10 ms failure to cancel the 1 s sleepers: true in
// every execution that keeps the timers in order, false when the sweep
// holds the failing child, woken at 10 ms, for a sibling's failure (its
// scope's canceller) while the siblings' 1 s timers fire.
corosim::Task<void> fail_after_10ms() {
  co_await corosim::sleep_for(std::chrono::milliseconds(10));
  throw std::runtime_error("backend gone");
}

corosim::Task<void> poll_for_1s(int* finished) {
  co_await corosim::sleep_for(std::chrono::seconds(1));
  ++*finished;
}

corosim::Task<void> failing_child_cancels_siblings() {
  int finished = 0;
  try {
    corosim::TaskScope scope;
    scope.spawn(poll_for_1s(&finished));
    scope.spawn(fail_after_10ms());
    co_await scope.join();
  } catch (const std::runtime_error&) {
  }
  CORO_CHECK(finished == 0);
}

}  // namespace

TEST_CASE("a failure after a stall that held its fiber while time passed says so", "[cli][cancel]") {
  corosim::register_scenario("selftest/held_sibling", corosim::passes(), &failing_child_cancels_siblings);
  struct Unregister {
    ~Unregister() { corosim::ScenarioRegistry::global().remove("selftest/held_sibling"); }
  } unregister;
  const std::string path = temp_path("held.json");
  const std::string out = corosim::testing::fresh_folder("held_repros");
  auto result = run_cli(
      {"run", "selftest/held_sibling", "--cancel", "sweep", "--seed", "0", "--json", path, "--out", out});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 1);
  REQUIRE_THAT(result.out,
               Catch::Contains(" in sleep from t=10ms to t=1s for its owner or scope (spawned it at "));
  REQUIRE_THAT(result.out, Catch::Contains("which did not cancel it (cancellation point "));
  REQUIRE_THAT(result.out, Catch::Contains(".under_cancel(corosim::CancelExploration::none)"));
  CHECK_THAT(result.out, !Catch::Contains("cancelled: "));
  const auto doc = read_json(path);
  const auto& failure = scenario_entry(doc, "selftest/held_sibling")["first_failure"];
  CHECK(failure["cancel_landed"] == false);
  CHECK(failure["cancel_held_from_ns"] == 10'000'000);
  CHECK(failure["cancel_held_until_ns"] == 1'000'000'000);
  std::remove(path.c_str());

  // Its replay says the same under the outcome.
  auto replayed = run_cli({"replay", only_file_in(out)});
  INFO(replayed.out << replayed.err);
  REQUIRE(replayed.exit_code == 1);
  CHECK_THAT(replayed.out,
             Catch::Contains("    held: fiber ") && Catch::Contains(" from t=10ms to t=1s for its owner"));
}

// Guards CancelInjection::brought_forward_ns (sim/cancellers.cpp): a timeout
// that lands because the stall made its timer fire early says so, with both
// times, in the text, the JSON and replay.
TEST_CASE("a cancellation by a timer a stall brought forward says when it was due", "[cli][cancel]") {
  const std::string path = temp_path("brought_forward.json");
  const std::string out = corosim::testing::fresh_folder("brought_forward_repros");
  auto result = run_cli({"run", "cancellers/timeout_torn_record", "--cancel", "sweep", "--seed", "0",
                         "--json", path, "--out", out});
  INFO(result.out << result.err);
  REQUIRE(result.exit_code == 0);  // the scenario is expected to fail
  const std::string said =
      "in sleep (cancellation point 1), by a timer due at t=50ms that the stall brought "
      "forward to t=1ms (the operation ran slower than it";
  REQUIRE_THAT(result.out, Catch::Contains("cancelled: the timeout at ") && Catch::Contains(said));
  const auto doc = read_json(path);
  const auto& failure = scenario_entry(doc, "cancellers/timeout_torn_record")["first_failure"];
  CHECK(failure["cancel_landed"] == true);
  CHECK(failure["cancel_timer_brought_forward_from_ns"] == 50'000'000);
  CHECK(failure["cancel_timer_brought_forward_to_ns"] == 1'000'000);
  std::remove(path.c_str());

  auto replayed = run_cli({"replay", only_file_in(out)});
  INFO(replayed.out << replayed.err);
  CHECK_THAT(replayed.out, Catch::Contains(said));
  std::filesystem::remove_all(out);
}

TEST_CASE("cancellation flags are validated", "[cli][cancel]") {
  auto mode = run_cli({"run", "--cancel", "sweep", "--cancel-modes", "drop,explode"});
  CHECK(mode.exit_code == 2);
  CHECK_THAT(mode.err, Catch::Contains("unknown cancellation mode 'explode'"));
  auto kind = run_cli({"run", "--cancel", "sometimes"});
  CHECK(kind.exit_code == 2);
  CHECK_THAT(kind.err, Catch::Contains("unknown --cancel 'sometimes'"));
  auto at_two_modes = run_cli({"run", "--cancel-at", "3"});
  CHECK(at_two_modes.exit_code == 2);
  CHECK_THAT(at_two_modes.err, Catch::Contains("exactly one --cancel-modes"));
  auto at_and_sweep = run_cli({"run", "--cancel-at", "3", "--cancel-modes", "drop", "--cancel", "sweep"});
  CHECK(at_and_sweep.exit_code == 2);
}

TEST_CASE("select/read_send: the sweep loses records inside read_send and the fix loses none",
          "[cli][cancel][seed]") {
  const std::string path = temp_path("read_send.json");
  auto result =
      run_cli({"run", "select/read_send*", "--cancel", "sweep", "--seeds", "20", "--quiet", "--json", path});
  INFO(result.out);
  REQUIRE(result.exit_code == 0);
  const auto doc = read_json(path);
  const auto& buggy = scenario_entry(doc, "select/read_send");
  CHECK(buggy["outcome"] == "failed");
  CHECK(buggy["met"] == true);
  CHECK(buggy["first_failure"]["checker"] == "cancel-safety");
  CHECK_THAT(buggy["first_failure"]["message"].get<std::string>(),
             Catch::Contains("claimed total, but this run is unsafe"));
  // read_send is lines 33-36 of the scenario source.
  const std::string where = buggy["first_failure"]["cancel_location"].get<std::string>();
  CHECK_THAT(where, Catch::StartsWith("scenarios/bundled/read_send.cpp:3"));
  // The reference run enumerates the points of the operation, with file:line.
  bool send_site = false;
  for (const auto& site : buggy["cancel_sites"]) {
    send_site = send_site || (site["location"] == "scenarios/bundled/read_send.cpp:35" &&
                              site["points"].get<int>() == 4);  // one send per batch record
  }
  CHECK(send_site);
  // Where the injected cancellations landed, over all runs: the send among them.
  bool send_injected = false;
  for (const auto& site : buggy["injected_sites"]) {
    send_injected = send_injected || site == "scenarios/bundled/read_send.cpp:35";
  }
  CHECK(send_injected);
  const auto& loop = scenario_entry(doc, "select/read_send_loop");
  CHECK(loop["first_failure"]["checker"] == "check");
  for (const char* fixed_name : {"select/read_send_owned_batch", "select/read_send_loop_owned_batch"}) {
    const auto& fixed = scenario_entry(doc, fixed_name);
    CHECK(fixed["outcome"] == "passed");
    CHECK(fixed["cancel_points"].get<int>() > 200);  // every point, every mode, 20 seeds
    CHECK(fixed["cancel"] == "sweep (drop,stop,prompt,interrupt,prestart)");
  }
  std::remove(path.c_str());
}

TEST_CASE("timeout/partial_write: cut frames are found and whole frames through a queue pass",
          "[cli][cancel][seed]") {
  const std::string path = temp_path("partial_write.json");
  auto result = run_cli(
      {"run", "timeout/partial_write*", "--cancel", "sweep", "--seeds", "20", "--quiet", "--json", path});
  INFO(result.out);
  REQUIRE(result.exit_code == 0);
  const auto doc = read_json(path);
  const auto& buggy = scenario_entry(doc, "timeout/partial_write");
  CHECK(buggy["first_failure"]["checker"] == "cancel-safety");
  CHECK_THAT(buggy["first_failure"]["message"].get<std::string>(), Catch::Contains("corrupt stream"));
  CHECK_THAT(buggy["first_failure"]["cancel_location"].get<std::string>(),
             Catch::StartsWith("scenarios/bundled/partial_write.cpp:"));
  const auto& loop = scenario_entry(doc, "timeout/partial_write_loop");
  CHECK(loop["first_failure"]["checker"] == "check");
  CHECK_THAT(loop["first_failure"]["message"].get<std::string>(), Catch::Contains("the peer reads"));
  const auto& fixed = scenario_entry(doc, "timeout/partial_write_queued");
  CHECK(fixed["outcome"] == "passed");
  CHECK(fixed["cancel_points"].get<int>() > 10);  // runs in which the timeout fired
  std::remove(path.c_str());
}

TEST_CASE("run ends with a summary table: expectation runs failures verdict and repro", "[cli]") {
  const std::string out = corosim::testing::fresh_folder("summary_out");
  auto result = run_cli({"run", "race/lost_update", "race/lost_update_fixed", "--seeds", "30", "--cancel",
                         "none", "--quiet", "--out", out});
  REQUIRE(result.exit_code == 0);
  const auto table = result.out.substr(result.out.find("\nsummary:\n"));
  CHECK_THAT(table,
             Catch::Contains("scenario                expect           runs  failures  verdict  repro"));
  CHECK_THAT(table, Catch::Contains("race/lost_update        fails:check        30"));
  CHECK_THAT(table, Catch::Contains("met      " + out + "/race_lost_update-check-"));
  CHECK_THAT(table, Catch::Contains("race/lost_update_fixed  passes             30         0  met\n"));

  // fifo never interleaves the deposits: the bug is not found, and the table says so.
  auto missed = run_cli({"run", "race/lost_update", "race/lost_update_fixed", "--strategy", "fifo", "--seeds",
                         "3", "--cancel", "none", "--quiet"});
  CHECK(missed.exit_code == 1);
  CHECK_THAT(missed.out, Catch::Contains("race/lost_update        fails:check         3         0  NOT MET"));
}
