#include "corosim/scenarios/registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "corosim/executor/did_you_mean.h"

namespace corosim {

const char* cancel_exploration_name(CancelExploration exploration) noexcept {
  switch (exploration) {
    case CancelExploration::automatic: return "auto";
    case CancelExploration::none: return "none";
    case CancelExploration::sweep: return "sweep";
    case CancelExploration::random: return "random";
    case CancelExploration::at: return "at";
  }
  return "?";
}

ScenarioRegistry& ScenarioRegistry::global() {
  static ScenarioRegistry registry;
  return registry;
}

bool ScenarioRegistry::add(Scenario scenario) {
  if (find(scenario.name) != nullptr) {
    // A programming error in the scenario sources; fail loudly at start-up.
    std::fprintf(stderr, "corosim: scenario '%s' is registered twice (%s)\n", scenario.name.c_str(),
                 scenario.where.str().c_str());
    std::abort();
  }
  auto at = std::lower_bound(scenarios_.begin(), scenarios_.end(), scenario.name,
                             [](const Scenario& s, const std::string& name) { return s.name < name; });
  scenarios_.insert(at, std::move(scenario));
  return true;
}

bool ScenarioRegistry::remove(std::string_view name) {
  auto at =
      std::find_if(scenarios_.begin(), scenarios_.end(), [&](const Scenario& s) { return s.name == name; });
  if (at == scenarios_.end()) return false;
  scenarios_.erase(at);
  return true;
}

const Scenario* ScenarioRegistry::find(std::string_view name) const noexcept {
  auto at = std::lower_bound(scenarios_.begin(), scenarios_.end(), name,
                             [](const Scenario& s, std::string_view n) { return s.name < n; });
  return at != scenarios_.end() && at->name == name ? &*at : nullptr;
}

std::string ScenarioRegistry::suggest(std::string_view unknown) const {
  std::vector<std::string_view> names;
  names.reserve(scenarios_.size());
  for (const Scenario& scenario : scenarios_) names.emplace_back(scenario.name);
  std::string close = did_you_mean(unknown, names);
  return close.empty() ? " (`corosim list` shows the scenarios)" : close;
}

bool Expectation::allows(Checker checker) const noexcept {
  return std::find(checkers.begin(), checkers.end(), checker) != checkers.end();
}

std::string Expectation::checker_names(std::string_view separator) const {
  std::string out;
  for (std::size_t i = 0; i < checkers.size(); ++i) {
    if (i > 0) out += separator;
    out += checker_name(checkers[i]);
  }
  return out;
}

std::string Expectation::str() const { return checkers.empty() ? "passes" : "fails:" + checker_names("|"); }

bool register_scenario(const char* name, Expectation expect, Task<void> (*body)(),
                       std::source_location where) {
  return ScenarioRegistry::global().add(Scenario{name, std::move(expect), body, SourceLoc::from(where)});
}

}  // namespace corosim
