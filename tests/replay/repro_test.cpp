// Repro files: the format, its parser's errors, exact replay, divergence,
// minimisation, and the trace exporters.
#include "corosim/replay/repro.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "corosim/replay/export.h"
#include "corosim/replay/trace_text.h"
#include "tests/common/golden.h"
#include "corosim/replay/minimize.h"
#include "corosim/replay/replay.h"
#include "corosim/harness/explore.h"
#include "corosim/scenarios/registry.h"
#include "corosim/runtime/check.h"
#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::Decision;
using corosim::DecisionKind;
using corosim::Repro;

namespace {

Repro sample() {
  Repro repro;
  repro.scenario = "race/lost_update";
  repro.strategy = "random";
  repro.seed = 12;
  repro.cancel = corosim::CancelPlan::at(3, corosim::CancelMode::prompt);
  repro.steps_max = 5000;
  repro.decisions = {
      {DecisionKind::schedule, 3, 2},   {DecisionKind::yield, 2, 1},       {DecisionKind::yield, 2, 1},
      {DecisionKind::yield, 2, 1},      {DecisionKind::timer_tie, 2, 0},   {DecisionKind::random, 10, 7},
      {DecisionKind::cancel_arm, 2, 1}, {DecisionKind::cancel_fire, 2, 0}, {DecisionKind::cancel_mode, 4, 3}};
  repro.checker = corosim::Checker::check;
  repro.message = "CORO_CHECK(balance == 30) failed: balance is 10";
  repro.location = "scenarios/bundled/races.cpp:39";
  repro.trace_hash = 0x3af4f66d92317a67ULL;
  return repro;
}

// The first failing run of a scenario over seeds 0..199, under its own exploration.
std::optional<std::pair<corosim::RunResult, corosim::SimOptions>> first_failure(
    const corosim::Scenario& scenario, const char* strategy = "random", std::uint64_t seeds = 200) {
  std::optional<std::pair<corosim::RunResult, corosim::SimOptions>> found;
  corosim::ExploreOptions options;
  options.strategy = strategy;
  options.seed_count = seeds;
  options.cancel = scenario.expect.cancel;
  options.cancel_modes = scenario.expect.cancel_modes;
  options.determinism_check_every = 0;
  options.on_failure = [&](const corosim::RunResult& run, const corosim::SimOptions& sim) {
    if (!found) found.emplace(run, sim);
  };
  corosim::explore_scenario(scenario, options).value();
  return found;
}

}  // namespace

TEST_CASE("a repro survives format and parse unchanged", "[repro]") {
  const Repro repro = sample();
  const std::string text = corosim::format_repro(repro);
  CHECK_THAT(text, Catch::Contains("decisions: s2/3 y1/2*3 t0/2 r7/10 a1/2 f0/2 m3/4\n"));
  CHECK_THAT(text, Catch::Contains("cancel: point=3 mode=prompt\n"));
  auto parsed = corosim::parse_repro(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->scenario == repro.scenario);
  CHECK(parsed->seed == 12);
  CHECK(parsed->cancel.kind == corosim::CancelPlan::Kind::at_point);
  CHECK(parsed->cancel.point == 3);
  CHECK(parsed->cancel.mode == corosim::CancelMode::prompt);
  CHECK(parsed->steps_max == 5000);
  CHECK(parsed->decisions == repro.decisions);
  CHECK(parsed->signature() == repro.signature());
  CHECK(parsed->message == repro.message);
  CHECK(parsed->trace_hash == repro.trace_hash);

  Repro jittered = repro;
  jittered.timer_jitter_ns = 5'000'000;
  jittered.decisions.push_back({DecisionKind::timer_delay, 11, 4});
  jittered.decisions.push_back({DecisionKind::buggify_arm, 2, 1});
  jittered.decisions.push_back({DecisionKind::buggify_fire, 2, 0});
  const std::string jittered_text = corosim::format_repro(jittered);
  CHECK_THAT(jittered_text, Catch::Contains("timer-jitter-ns: 5000000\n"));
  CHECK_THAT(jittered_text, Catch::Contains(" d4/11 b1/2 g0/2\n"));
  auto jittered_parsed = corosim::parse_repro(jittered_text);
  REQUIRE(jittered_parsed.ok());
  CHECK(jittered_parsed->timer_jitter_ns == 5'000'000);
  CHECK(jittered_parsed->decisions == jittered.decisions);
  CHECK_THAT(text, !Catch::Contains("timer-jitter-ns"));  // optional: absent when 0

  Repro week = repro;
  week.time_max_ns = 604'800'000'000'000;
  const std::string week_text = corosim::format_repro(week);
  CHECK_THAT(week_text, Catch::Contains("steps-max: 5000\ntime-max-ns: 604800000000000\n"));
  auto week_parsed = corosim::parse_repro(week_text);
  REQUIRE(week_parsed.ok());
  CHECK(week_parsed->time_max_ns == 604'800'000'000'000);
  CHECK(corosim::options_for(*week_parsed).time_max_ns == 604'800'000'000'000);
  CHECK(corosim::options_for(*corosim::parse_repro(text)).time_max_ns == corosim::SimOptions{}.time_max_ns);
  CHECK_THAT(text, !Catch::Contains("time-max-ns"));  // optional: absent for the default day

  Repro passing = repro;
  passing.checker.reset();
  passing.location.clear();
  passing.cancel = corosim::CancelPlan::random({corosim::CancelMode::drop, corosim::CancelMode::stop});
  auto again = corosim::parse_repro("# a comment first\n" + corosim::format_repro(passing));
  REQUIRE(again.ok());
  CHECK_FALSE(again->checker.has_value());
  CHECK(again->cancel.kind == corosim::CancelPlan::Kind::random);
  CHECK(again->cancel.modes.size() == 2);
}

TEST_CASE("malformed repros are rejected with the line and the reason", "[repro]") {
  const std::string good = corosim::format_repro(sample());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return text;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty file"},
      {"hello\n", "repro:1: not a corosim repro"},
      {replace("corosim-repro 4", "corosim-repro 9"), "repro version 9 is not supported"},
      {replace("corosim-repro 4", "corosim-repro 0"), "repro version 0 is not supported"},
      {replace("corosim-repro 4", "corosim-repro x"), "repro:1: bad version number"},
      {replace("corosim-repro 4", "corosim-repro 1"),
       "repro:4: a version 1 repro with injected cancellation"},
      {replace("scenario: race/lost_update\n", ""), "missing field 'scenario' before 'strategy'"},
      {replace("strategy: random seed=12", "strategy: random"), "expected 'strategy: NAME seed=N'"},
      {replace("cancel: point=3 mode=prompt", "cancel: point=x mode=prompt"), "'x' is not a whole number"},
      {replace("mode=prompt", "mode=explode"), "explode"},
      {replace("s2/3", "q2/3"), "unknown kind letter"},
      {replace("s2/3", "s3/3"), "the value must be below n"},
      {replace("s2/3", "s0/1"), "n must be at least 2"},
      {replace("y1/2*3", "y1/2*0"), "repeat count"},
      {replace("s2/3", "s2-3"), "expected <value>/<n>"},
      {replace("trace-hash: 3af4f66d92317a67", "trace-hash: 3AF4"), "16 lowercase hex digits"},
      {replace("steps-max: 5000", "steps-max: 0"), "steps-max must be a whole number from 1"},
      {replace("steps-max: 5000", "steps-max: 5000\ntime-max-ns: 0"), "time-max-ns must be a whole number"},
      {replace("steps-max: 5000", "steps-max: 5000\ntime-max-ns: 1h"), "time-max-ns must be a whole number"},
      {good + "extra: field\n", "unknown field 'extra'"},
      {replace("steps-max: 5000\n", "steps-max: 5000\nsteps-max: 5000\n"), "appears twice"},
      {replace("location: scenarios/bundled/races.cpp:39\n", ""), "missing field 'location'"},
      {replace("trace-hash: 3af4f66d92317a67\n", ""), "the file ends before field 'trace-hash'"},
      {replace("failure: check: ", "failure: "), "expected 'failure: none' or 'failure: CHECKER: MESSAGE'"},
      {replace("cancel: point=3 mode=prompt", "cancel: sometimes"), "expected 'none', 'point=K mode=M'"},
      {replace("scenario: race/lost_update", "scenario no colon"), "expected 'field: value'"},
      {replace("y1/2*3", "y1/2*99999999999"), "more than 10000000 decisions"},
      {replace("s2/3", "s2/99999999999999999999999"), "value and n must be whole numbers"},
      {replace("steps-max: 5000", "steps-max: 18446744073709551615"),
       "steps-max must be a whole number from 1 to"},
      {replace("s2/3", "\x01\xff"), "unknown kind letter"},
      {replace("failure: check: ", "failure: chekc: "),
       "repro:7: unknown checker 'chekc' (did you mean 'check'?)"},
  };
  for (const auto& [text, expected] : cases) {
    auto parsed = corosim::parse_repro(text);
    INFO("text:\n" << text);
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(std::string(parsed.status().message()), Catch::Contains(expected));
  }
}

TEST_CASE("every bundled failure replays exactly and minimises to no more decisions", "[repro][replay]") {
  std::size_t checked = 0;
  for (const corosim::Scenario& scenario : corosim::ScenarioRegistry::global().all()) {
    if (!scenario.expect.expects_failure()) continue;
    INFO(scenario.name);
    auto failure = first_failure(scenario);
    // The deeper SCTBench bugs need more schedules than random's 200: pos
    // finds each within a few hundred.
    if (!failure) failure = first_failure(scenario, "pos", 3'000);
    REQUIRE(failure.has_value());
    const Repro repro = corosim::make_repro(scenario.name, "random", failure->second, failure->first);
    auto parsed = corosim::parse_repro(corosim::format_repro(repro));
    REQUIRE(parsed.ok());
    auto outcome = corosim::replay_repro(*parsed, scenario.body);
    REQUIRE(outcome.ok());
    CHECK_FALSE(outcome->divergence.has_value());
    CHECK(outcome->hash_matches);
    CHECK(outcome->signature_matches);
    CHECK(scenario.expect.allows(outcome->run.failure->checker));

    auto minimal = corosim::minimize_repro(*parsed, scenario.body, 300);
    REQUIRE(minimal.ok());
    CHECK(minimal->decisions_after <= minimal->decisions_before);
    CHECK(minimal->repro.signature() == parsed->signature());
    auto replayed = corosim::replay_repro(minimal->repro, scenario.body);
    REQUIRE(replayed.ok());
    CHECK_FALSE(replayed->divergence.has_value());
    CHECK(replayed->hash_matches);
    CHECK(replayed->signature_matches);
    ++checked;
  }
  CHECK(checked >= 10);
}

TEST_CASE("minimisation removes what the failure does not need", "[repro][minimize]") {
  const corosim::Scenario* race = corosim::ScenarioRegistry::global().find("race/lost_update");
  REQUIRE(race != nullptr);
  auto failure = first_failure(*race);
  REQUIRE(failure.has_value());
  Repro repro = corosim::make_repro(race->name, "random", failure->second, failure->first);
  // Pad the stream with noise the failure does not need: a lenient replay
  // would still fail, and the minimiser must throw it away again.
  auto minimal = corosim::minimize_repro(repro, race->body);
  REQUIRE(minimal.ok());
  CHECK(minimal->nonzero_after < minimal->nonzero_before);
  CHECK(minimal->replays > 1);
}

namespace {

// Two failure sites: random(3) == 0 fails at A, == 2 at B. A repro of B
// must not minimise into one of A (a smaller stream, another failure).
corosim::Task<void> two_failure_sites() {
  const std::uint64_t pick = corosim::random(3);
  CORO_CHECK_MSG(pick != 0, "site A");
  CORO_CHECK_MSG(pick != 2, "site B");
  co_return;
}

// Only the second value matters, and only in second place: deleting the
// first shifts it, so zeroing is the one pass that can drop the noise.
corosim::Task<void> needs_the_second_value() {
  const std::uint64_t noise = corosim::random(4);
  const std::uint64_t key = corosim::random(4);
  (void)noise;
  CORO_CHECK_MSG(key != 3, "the key was 3");
  co_return;
}

// Cancelled at any point of its worker, it fails the same way: a repro that
// cancels at the last point minimises to the first.
corosim::Task<void> cancelled_anywhere() {
  bool finished = false;
  co_await corosim::cancellable([&finished]() -> corosim::Task<void> {
    for (int i = 0; i < 4; ++i) co_await corosim::sleep_for(std::chrono::milliseconds(1));
    finished = true;
  }());
  CORO_CHECK_MSG(finished, "the work was cut short");
}

// The first seed whose run fails with a message containing `text`.
std::pair<corosim::RunResult, corosim::SimOptions> failing_with(const corosim::MainFactory& body,
                                                                const std::string& text,
                                                                bool (*also)(const corosim::RunResult&)) {
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    corosim::RunResult run = corosim::testing::run_random(body, seed);
    if (!run.passed() && run.failure->message.find(text) != std::string::npos && also(run)) {
      return {run, corosim::SimOptions{}};
    }
  }
  FAIL("no seed fails with " << text);
  return {};
}

bool any_run(const corosim::RunResult&) { return true; }
bool noisy(const corosim::RunResult& run) { return run.decisions.size() == 2 && run.decisions[0].value != 0; }

}  // namespace

// Guards the minimiser's signature check (mutation: accept a smaller run that
// fails with any checker or at any location).
TEST_CASE("minimisation keeps the failure it was given and never trades it for another",
          "[repro][minimize]") {
  const corosim::MainFactory body = [] { return two_failure_sites(); };
  auto [run, options] = failing_with(body, "site B", any_run);
  const Repro repro = corosim::make_repro("test/two_sites", "random", options, run);
  auto minimal = corosim::minimize_repro(repro, body);
  REQUIRE(minimal.ok());
  CHECK(minimal->repro.location == repro.location);
  auto replayed = corosim::replay_repro(minimal->repro, body);
  REQUIRE(replayed.ok());
  CHECK(replayed->signature_matches);
  REQUIRE(replayed->run.failure.has_value());
  CHECK_THAT(replayed->run.failure->message, Catch::Contains("site B"));
}

// Guards the zeroing pass (mutation: chunks(true) removed): prefixes and
// deletions cannot drop the noise before the value that matters.
TEST_CASE("minimisation zeroes the choices the failure does not need", "[repro][minimize]") {
  const corosim::MainFactory body = [] { return needs_the_second_value(); };
  auto [run, options] = failing_with(body, "the key was 3", noisy);
  const Repro repro = corosim::make_repro("test/noise", "random", options, run);
  REQUIRE(corosim::replay_repro(repro, body)->signature_matches);
  auto minimal = corosim::minimize_repro(repro, body);
  REQUIRE(minimal.ok());
  CHECK(minimal->nonzero_before == 2);
  CHECK(minimal->nonzero_after == 1);
  CHECK(minimal->decisions_after == 2);
  CHECK(minimal->repro.decisions[0].value == 0);
  CHECK(corosim::replay_repro(minimal->repro, body)->signature_matches);
  // --max-replays is exact: the strict check counts.
  for (std::uint64_t budget : {1, 3}) {
    auto capped = corosim::minimize_repro(repro, body, budget);
    REQUIRE(capped.ok());
    CHECK(capped->replays == budget);
  }
}

// Guards the earlier-cancellation pass (mutation: earlier_cancellation() removed).
TEST_CASE("minimisation moves the cancellation to the earliest point that keeps the failure",
          "[repro][minimize]") {
  const corosim::MainFactory body = [] { return cancelled_anywhere(); };
  corosim::SimOptions options;
  options.cancel = corosim::CancelPlan::at(3, corosim::CancelMode::drop);
  const corosim::RunResult run = corosim::testing::run_random(body, 0, options);
  REQUIRE(run.failure.has_value());
  REQUIRE(run.failure->message.find("cut short") != std::string::npos);
  const Repro repro = corosim::make_repro("test/cancelled_anywhere", "random", options, run);
  auto minimal = corosim::minimize_repro(repro, body);
  REQUIRE(minimal.ok());
  CHECK(minimal->repro.cancel.kind == corosim::CancelPlan::Kind::at_point);
  CHECK(minimal->repro.cancel.point == 0);
  CHECK(corosim::replay_repro(minimal->repro, body)->signature_matches);
}

TEST_CASE("a replay that leaves its recording stops at the first divergent decision", "[repro][replay]") {
  const corosim::Scenario* race = corosim::ScenarioRegistry::global().find("race/lost_update");
  auto failure = first_failure(*race);
  REQUIRE(failure.has_value());
  Repro repro = corosim::make_repro(race->name, "random", failure->second, failure->first);
  REQUIRE(repro.decisions.size() > 2);
  repro.decisions[1].n += 1;  // as if the code now had one more ready fiber there
  auto outcome = corosim::replay_repro(repro, race->body);
  REQUIRE(outcome.ok());
  REQUIRE(outcome->divergence.has_value());
  CHECK(outcome->run.failure->checker == corosim::Checker::replay_diverged);
  CHECK_THAT(*outcome->divergence, Catch::Contains("decision 1: the recording has"));
  CHECK_THAT(*outcome->divergence, Catch::Contains("this run's events just before it"));

  // Truncated: the run asks for more than was recorded.
  Repro truncated = corosim::make_repro(race->name, "random", failure->second, failure->first);
  truncated.decisions.resize(1);
  auto short_outcome = corosim::replay_repro(truncated, race->body);
  REQUIRE(short_outcome.ok());
  CHECK_THAT(*short_outcome->divergence, Catch::Contains("the recording has only 1 decisions"));

  // Longer than the run (mutation guarded: the end-of-run check removed):
  // the run ends with recorded decisions left over, which is a divergence.
  Repro longer = corosim::make_repro(race->name, "random", failure->second, failure->first);
  const std::size_t recorded = longer.decisions.size();
  longer.decisions.push_back(longer.decisions.back());
  auto long_outcome = corosim::replay_repro(longer, race->body);
  REQUIRE(long_outcome.ok());
  REQUIRE(long_outcome->divergence.has_value());
  CHECK_THAT(*long_outcome->divergence,
             Catch::Contains("the run ended after " + std::to_string(recorded) + " of the " +
                             std::to_string(recorded + 1) + " recorded decisions"));

  // --continue: a strategy takes over and the run goes on to its own end.
  corosim::ReplayOptions options;
  options.mode = corosim::ReplayStrategy::Mode::continue_with;
  options.continue_with = "fifo";
  auto continued = corosim::replay_repro(truncated, race->body, options);
  REQUIRE(continued.ok());
  CHECK(continued->divergence.has_value());
  CHECK((continued->run.passed() || continued->run.failure->checker != corosim::Checker::replay_diverged));
}

TEST_CASE("trace exporters: Perfetto has a track per fiber and wake-up flows and JSON Lines one event a line",
          "[repro][export]") {
  const corosim::Scenario* deadlock = corosim::ScenarioRegistry::global().find("futurelock/mutex");
  REQUIRE(deadlock != nullptr);
  auto failure = first_failure(*deadlock);
  REQUIRE(failure.has_value());
  Repro repro = corosim::make_repro(deadlock->name, "random", failure->second, failure->first);
  auto outcome = corosim::replay_repro(repro, deadlock->body);
  REQUIRE(outcome.ok());
  const corosim::Trace& trace = outcome->trace;
  std::set<std::uint32_t> fibers;
  for (const auto& event : trace.events()) {
    if (event.fiber != corosim::kNoFiber) fibers.insert(event.fiber);
  }

  std::ostringstream perfetto;
  corosim::write_trace_perfetto(trace, perfetto);
  const auto doc = nlohmann::json::parse(perfetto.str());
  std::set<std::int64_t> named;
  std::set<std::uint64_t> flow_starts;
  std::set<std::uint64_t> flow_ends;
  bool failure_marked = false;
  for (const auto& event : doc["traceEvents"]) {
    const std::string phase = event["ph"];
    if (phase == "M" && event["args"]["name"].get<std::string>().rfind("fiber ", 0) == 0) {
      named.insert(event["tid"].get<std::int64_t>());
    }
    if (phase == "s") flow_starts.insert(event["id"].get<std::uint64_t>());
    if (phase == "f") flow_ends.insert(event["id"].get<std::uint64_t>());
    if (phase == "i" && event["name"].get<std::string>().rfind("FAILED", 0) == 0) failure_marked = true;
  }
  CHECK(named.size() == fibers.size());
  CHECK_FALSE(flow_ends.empty());
  for (std::uint64_t id : flow_ends) CHECK(flow_starts.count(id) == 1);
  CHECK(failure_marked);

  std::ostringstream jsonl;
  corosim::write_trace_jsonl(trace, jsonl);
  std::istringstream lines(jsonl.str());
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const auto event = nlohmann::json::parse(line);
    CHECK(event["i"] == count);
  }
  CHECK(count == trace.events().size());

  std::ostringstream columns;
  corosim::write_trace_columns(trace, columns);
  CHECK_THAT(columns.str(), Catch::StartsWith("time"));
  CHECK_THAT(columns.str(), Catch::Contains("fiber 1"));
}

TEST_CASE("golden: the repro format and every exporter's output for a bundled repro",
          "[repro][export][golden]") {
  corosim::testing::check_golden("repro_format.repro", corosim::format_repro(sample()));
  auto text = corosim::read_file(COROSIM_SOURCE_DIR "/scenarios/regressions/race_lost_update-check.repro");
  REQUIRE(text.ok());
  auto repro = corosim::parse_repro(*text);
  REQUIRE(repro.ok());
  const corosim::Scenario* race = corosim::ScenarioRegistry::global().find(repro->scenario);
  REQUIRE(race != nullptr);
  auto outcome = corosim::replay_repro(*repro, race->body);
  REQUIRE(outcome.ok());
  REQUIRE(outcome->hash_matches);
  std::ostringstream plain;
  corosim::print_trace_text(outcome->trace, plain);
  corosim::testing::check_golden("export_race_text.txt", plain.str());
  std::ostringstream columns;
  corosim::write_trace_columns(outcome->trace, columns);
  corosim::testing::check_golden("export_race_columns.txt", columns.str());
  std::ostringstream jsonl;
  corosim::write_trace_jsonl(outcome->trace, jsonl);
  corosim::testing::check_golden("export_race.jsonl", jsonl.str());
  std::ostringstream perfetto;
  corosim::write_trace_perfetto(outcome->trace, perfetto);
  corosim::testing::check_golden("export_race_perfetto.json", perfetto.str());
}

TEST_CASE("a version 1 repro that injected nothing still parses", "[repro]") {
  Repro repro = sample();
  repro.cancel = corosim::CancelPlan{};
  std::string text = corosim::format_repro(repro);
  REQUIRE(text.rfind("corosim-repro 4\n", 0) == 0);
  text.replace(0, 15, "corosim-repro 1");
  auto parsed = corosim::parse_repro(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->version == 1);
  CHECK(parsed->decisions == repro.decisions);
  CHECK(parsed->cancel.kind == corosim::CancelPlan::Kind::none);
}
