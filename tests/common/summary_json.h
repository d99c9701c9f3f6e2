// Reading `corosim run --json` summaries in tests.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace corosim::testing {

inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

// The summary's entry for one scenario; fails the test when there is none.
inline const nlohmann::json& scenario_entry(const nlohmann::json& doc, const std::string& name) {
  for (const auto& entry : doc["scenarios"]) {
    if (entry["name"] == name) return entry;
  }
  FAIL("no entry for " << name);
  return doc;
}

}  // namespace corosim::testing
