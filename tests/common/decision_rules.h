// Helpers for the tests of the decision rules that changed with the repro
// version (yield_now in version 3, parking operations in version 4).
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "corosim/replay/replay.h"
#include "corosim/replay/repro.h"
#include "corosim/sim/simulator.h"

namespace corosim::testing {

inline std::uint64_t yield_decisions(const RunResult& run) {
  std::uint64_t count = 0;
  for (const Decision& decision : run.decisions) count += decision.kind == DecisionKind::yield;
  return count;
}

// A run made under an older rule (legacy) is written as that version and
// replays as recorded; its decisions read as the next version diverge.
inline void check_replays_only_as_recorded(const std::string& scenario, const MainFactory& body,
                                           const SimOptions& legacy, const RunResult& run, int version) {
  const Repro repro = make_repro(scenario, "random", legacy, run);
  const std::string text = format_repro(repro);
  REQUIRE(text.rfind("corosim-repro " + std::to_string(version) + "\n", 0) == 0);
  auto parsed = parse_repro(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->version == version);
  auto outcome = replay_repro(*parsed, body);
  REQUIRE(outcome.ok());
  CHECK_FALSE(outcome->divergence.has_value());
  CHECK(outcome->hash_matches);
  // The same decisions read as the next version ask fewer: the replay leaves them.
  parsed->version = version + 1;
  auto as_new = replay_repro(*parsed, body);
  REQUIRE(as_new.ok());
  CHECK(as_new->divergence.has_value());
}

}  // namespace corosim::testing
