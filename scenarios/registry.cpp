#include "corosim/scenarios/registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace corosim {

const char* cancel_exploration_name(CancelExploration exploration) noexcept {
  switch (exploration) {
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
    std::fprintf(stderr, "corosim: scenario '%s' is registered twice (%s)\n",
                 scenario.name.c_str(), scenario.where.str().c_str());
    std::abort();
  }
  auto at = std::lower_bound(scenarios_.begin(), scenarios_.end(), scenario.name,
                             [](const Scenario& s, const std::string& name) { return s.name < name; });
  scenarios_.insert(at, std::move(scenario));
  return true;
}

const Scenario* ScenarioRegistry::find(std::string_view name) const noexcept {
  auto at = std::lower_bound(scenarios_.begin(), scenarios_.end(), name,
                             [](const Scenario& s, std::string_view n) { return s.name < n; });
  return at != scenarios_.end() && at->name == name ? &*at : nullptr;
}

namespace {

// Levenshtein distance, two rows.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace

std::string ScenarioRegistry::suggest(std::string_view unknown) const {
  // Close means a typo or two, or the right name in the wrong family
  // ("race/lost_updat", "lost_update", "races/lost_update").
  const std::size_t threshold = std::max<std::size_t>(2, unknown.size() / 4);
  std::vector<std::pair<std::size_t, const std::string*>> close;
  for (const Scenario& scenario : scenarios_) {
    const std::string_view name = scenario.name;
    const std::string_view base = name.substr(name.find('/') == std::string_view::npos ? 0 : name.find('/') + 1);
    const std::size_t distance = std::min(edit_distance(unknown, name), edit_distance(unknown, base));
    if (distance <= threshold) close.emplace_back(distance, &scenario.name);
  }
  if (close.empty()) return " (`corosim list` shows the scenarios)";
  // (std::stable_sort warns as deprecated under clang 19 with libstdc++ 12.)
  std::sort(close.begin(), close.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : *a.second < *b.second;
  });
  std::string out = " (did you mean '" + *close[0].second + "'";
  for (std::size_t i = 1; i < close.size() && i < 3; ++i) {
    out += (i + 1 == std::min<std::size_t>(close.size(), 3) ? " or '" : ", '") + *close[i].second + "'";
  }
  return out + "?)";
}

bool register_scenario(const char* name, Expectation expect, Task<void> (*body)(),
                       std::source_location where) {
  return ScenarioRegistry::global().add(
      Scenario{name, std::move(expect), body, SourceLoc::from(where)});
}

}  // namespace corosim
