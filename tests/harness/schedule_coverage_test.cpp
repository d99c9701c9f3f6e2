// Schedule coverage: the counters a fuzz target hands libFuzzer, on traces
// built by hand (what each event counts) and on fuzz runs of an SCTBench port
// (a schedule that reaches the bug shows in them where plain code coverage
// cannot).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "corosim/harness/fuzz.h"
#include "corosim/harness/schedule_coverage.h"
#include "corosim/scenarios/registry.h"
#include "corosim/sim/trace.h"

using corosim::ScheduleCoverage;
using corosim::SourceLoc;
using corosim::Trace;
using corosim::TraceKind;

namespace {

using Counters = std::vector<std::uint8_t>;

const SourceLoc kSpawnA = SourceLoc::intern("a.cpp", "", 10, 1);
const SourceLoc kSpawnB = SourceLoc::intern("b.cpp", "", 20, 1);
const SourceLoc kSiteA = SourceLoc::intern("a.cpp", "", 11, 1);
const SourceLoc kSiteB = SourceLoc::intern("b.cpp", "", 21, 1);

// A trace of fibers 1 and 2 (spawned at kSpawnA, kSpawnB); then each
// {fiber, site} parks that fiber there (site nullptr: it completes) and the
// next entry's fiber runs.
struct Step {
  std::uint32_t fiber;
  const SourceLoc* parks_at;
};

Trace trace_of(const std::vector<Step>& steps) {
  Trace trace;
  trace.add(TraceKind::spawn, 1, 0, 0, 0, &kSpawnA, "");
  trace.add(TraceKind::spawn, 2, 0, 0, 0, &kSpawnB, "");
  for (const Step& step : steps) {
    trace.add(TraceKind::resume, step.fiber, 0, 0, 0, nullptr, "");
    if (step.parks_at != nullptr) {
      trace.add(TraceKind::suspend, step.fiber, 0, 0, 0, step.parks_at, "");
    } else {
      trace.add(TraceKind::complete, step.fiber, 0, 0, 0, nullptr, "");
    }
  }
  return trace;
}

Counters count(const Trace& trace) {
  ScheduleCoverage coverage;
  Counters counters(ScheduleCoverage::kCounters, 0);
  coverage.count(trace, counters);
  return counters;
}

std::size_t lit(const Counters& counters) {
  return static_cast<std::size_t>(
      std::count_if(counters.begin(), counters.end(), [](auto c) { return c != 0; }));
}

// Cells lit in a but not in b.
std::size_t lit_only_in(const Counters& a, const Counters& b) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < a.size(); ++i) n += a[i] != 0 && b[i] == 0;
  return n;
}

const corosim::Scenario& scenario(const std::string& name) {
  const corosim::Scenario* found = corosim::ScenarioRegistry::global().find(name);
  REQUIRE(found != nullptr);
  return *found;
}

}  // namespace

TEST_CASE("schedule coverage counts context switches by the pair of sites and nothing else", "[fuzz]") {
  // One fiber running on at its own suspensions is no switch.
  CHECK(lit(count(trace_of({{1, &kSiteA}, {1, &kSiteA}, {1, nullptr}}))) == 0);

  // 1 parks at A, 2 starts: one pair. The same pair twice counts 2.
  const Counters once = count(trace_of({{1, &kSiteA}, {2, &kSiteB}}));
  REQUIRE(lit(once) == 1);
  const auto cell = static_cast<std::size_t>(
      std::find_if(once.begin(), once.end(), [](auto c) { return c != 0; }) - once.begin());
  CHECK(once[cell] == 1);
  const Counters twice =
      count(trace_of({{1, &kSiteA}, {2, &kSiteB}, {1, &kSiteA}, {2, &kSiteB}, {1, &kSiteA}}));
  // Switches: (A, B's spawn), (B, A), (A, B), (B, A).
  CHECK(lit(twice) == 3);
  CHECK(twice[cell] == 1);

  // The order of the pair matters: 2 first is a different feature.
  const Counters reversed = count(trace_of({{2, &kSiteB}, {1, &kSiteA}}));
  CHECK(lit(reversed) == 1);
  CHECK(reversed[cell] == 0);

  // Running next after a fiber that finished is not pre-empting it at its site.
  const Counters after_end = count(trace_of({{1, &kSiteA}, {1, nullptr}, {2, &kSiteB}}));
  CHECK(lit(after_end) == 1);
  CHECK(lit_only_in(after_end, count(trace_of({{1, &kSiteA}, {2, &kSiteB}}))) == 1);
}

TEST_CASE("schedule coverage counts an injected cancellation by its site and action", "[fuzz]") {
  Trace trace = trace_of({{1, &kSiteA}});
  const Counters before = count(trace);
  trace.add(TraceKind::cancel, 1, 0, 1, 0, &kSiteA, "");
  const Counters cancelled = count(trace);
  CHECK(lit_only_in(cancelled, before) == 1);
  Trace other_action = trace_of({{1, &kSiteA}});
  other_action.add(TraceKind::cancel, 1, 0, 2, 0, &kSiteA, "");
  CHECK(lit_only_in(count(other_action), cancelled) == 1);
}

TEST_CASE("schedule coverage saturates and clears what the last run left", "[fuzz]") {
  std::vector<Step> steps;
  for (int i = 0; i < 1000; ++i)
    steps.push_back({static_cast<std::uint32_t>(1 + i % 2), i % 2 ? &kSiteB : &kSiteA});
  const Counters many = count(trace_of(steps));
  CHECK(*std::max_element(many.begin(), many.end()) == 255);

  ScheduleCoverage coverage;
  Counters counters(ScheduleCoverage::kCounters, 7);
  coverage.count(trace_of({{1, nullptr}}), counters);
  CHECK(lit(counters) == 0);
  coverage.count(trace_of(steps), counters);
  CHECK(counters == many);
}

TEST_CASE("a fuzz run that reaches reorder_10's bug lights schedule counters the fifo run does not",
          "[fuzz]") {
  // Both runs execute the same lines of the scenario: what tells them apart
  // is where the checker ran, between a setter's two writes.
  corosim::FuzzHarness harness(scenario("sctbench/reorder_10"));
  ScheduleCoverage coverage;
  Counters fifo(ScheduleCoverage::kCounters), failing(ScheduleCoverage::kCounters);
  const std::string zeros(512, '\0');  // every decision 0: the plain fifo run
  REQUIRE(harness.run(zeros).passed());
  for (const auto& decision : harness.repro().decisions) REQUIRE(decision.value == 0);
  coverage.count(harness.trace(), fifo);

  // Inputs from a fixed generator until one fails (seeded random needs ~170).
  std::uint64_t state = 1;
  std::string input(96, '\0');
  bool found = false;
  for (int attempt = 0; attempt < 20'000 && !found; ++attempt) {
    for (char& byte : input) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      byte = static_cast<char>(state >> 56);
    }
    found = !harness.run(input).passed();
  }
  REQUIRE(found);
  coverage.count(harness.trace(), failing);
  CHECK(lit_only_in(failing, fifo) > 0);

  // The same input, the same counters.
  Counters again(ScheduleCoverage::kCounters);
  REQUIRE_FALSE(harness.run(input).passed());
  coverage.count(harness.trace(), again);
  CHECK(again == failing);
}
