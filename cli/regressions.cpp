#include "corosim/cli/regressions.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "corosim/cli/replay_commands.h"
#include "corosim/replay/replay.h"
#include "corosim/replay/trace_text.h"

namespace corosim::cli {

namespace {

namespace fs = std::filesystem;

Signature signature_of(const RunResult& run) {
  if (run.passed()) return {};
  return Signature{checker_name(run.failure->checker), run.failure->location.str()};
}

Signature signature_of(const Repro& repro) { return Signature{repro.checker_text(), repro.location}; }

// Judges one replay: the verdict compares today's run with the recording, and
// `met` holds it against the scenario's expectation.
RegressionEntry judge(const std::string& file, const LoadedRepro& loaded) {
  const Repro& repro = loaded.repro;
  RegressionEntry entry;
  entry.file = fs::path(file).filename().string();
  entry.scenario = repro.scenario;
  entry.recorded = signature_of(repro);
  auto outcome = replay_repro(repro, loaded.scenario->body);
  // Halting replays only fail on a bad fallback strategy name, which is not given here.
  entry.trace_hash_matches = outcome->hash_matches;
  if (outcome->divergence) {
    entry.divergence = outcome->divergence;
    // What the changed code does with the recorded choices, as far as they fit:
    // a hint for whoever re-records it, not a verdict.
    auto lenient =
        replay_repro(repro, loaded.scenario->body, ReplayOptions{ReplayStrategy::Mode::lenient, ""});
    entry.now = signature_of(lenient->run);
    entry.verdict = RegressionVerdict::stale;
    return entry;
  }
  entry.now = signature_of(outcome->run);
  if (outcome->signature_matches) {
    entry.verdict = RegressionVerdict::reproduced;
  } else {
    entry.verdict = outcome->run.passed() ? RegressionVerdict::fixed : RegressionVerdict::new_failure;
  }
  const Expectation& expect = loaded.scenario->expect;
  entry.met = expect.expects_failure()
                  ? entry.verdict == RegressionVerdict::reproduced && !outcome->run.passed() &&
                        expect.allows(outcome->run.failure->checker)
                  : outcome->run.passed();
  return entry;
}

std::string explain(const RegressionEntry& entry, const Expectation& expect) {
  switch (entry.verdict) {
    case RegressionVerdict::stale:
      return absl::StrCat(
          "is stale: the code no longer makes the recorded run; re-record it (run --out) or ", "delete it\n",
          indent(entry.divergence.value_or(""), "          "), "\n          replayed leniently it ",
          entry.now.checker.empty() ? "passes" : "fails: ", entry.now.checker.empty() ? "" : entry.now.str());
    case RegressionVerdict::fixed:
      return expect.expects_failure()
                 ? absl::StrCat("no longer fails (expected to fail with ", expect.checker_names(" or "),
                                "; recorded ", entry.recorded.str(), ")")
                 : absl::StrCat("stays fixed (recorded ", entry.recorded.str(), ")");
    case RegressionVerdict::reproduced:
      if (entry.now.checker.empty()) return "passes, as recorded";
      return entry.met ? absl::StrCat("fails as recorded and expected: ", entry.now.str())
                       : absl::StrCat("still fails: ", entry.now.str());
    case RegressionVerdict::new_failure:
      return absl::StrCat("fails differently (a new failure): now ", entry.now.str(), "; recorded ",
                          entry.recorded.str());
  }
  return "?";
}

}  // namespace

const char* regression_verdict_name(RegressionVerdict verdict) noexcept {
  switch (verdict) {
    case RegressionVerdict::fixed: return "fixed";
    case RegressionVerdict::reproduced: return "reproduced";
    case RegressionVerdict::new_failure: return "new_failure";
    case RegressionVerdict::stale: return "stale";
  }
  return "?";
}

std::string Signature::str() const {
  return checker.empty() ? std::string("passed") : absl::StrCat(checker, " at ", location);
}

std::size_t RegressionReport::not_met() const noexcept {
  return static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(), [](const RegressionEntry& e) {
    return !e.met && e.verdict != RegressionVerdict::stale;
  }));
}

std::size_t RegressionReport::stale() const noexcept {
  return static_cast<std::size_t>(std::count_if(entries.begin(), entries.end(), [](const RegressionEntry& e) {
    return e.verdict == RegressionVerdict::stale;
  }));
}

absl::StatusOr<RegressionReport> replay_regressions(const std::string& folder,
                                                    const std::vector<const Scenario*>& selected) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    return absl::NotFoundError(absl::StrCat("--regressions: '", folder, "' is not a folder"));
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (entry.path().extension() == ".repro") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  RegressionReport report{folder, {}};
  for (const std::string& file : files) {
    auto loaded = load_repro(file);
    if (!loaded.ok()) return loaded.status();
    if (std::find(selected.begin(), selected.end(), loaded->scenario) == selected.end()) continue;
    RegressionEntry entry = judge(file, *loaded);
    const char* mark = entry.verdict == RegressionVerdict::stale ? "STALE" : entry.met ? "ok" : "FAIL";
    std::cout << absl::StrFormat("  %-5s regression %s: %s %s%s\n", mark, entry.file, entry.scenario,
                                 explain(entry, loaded->scenario->expect),
                                 entry.verdict != RegressionVerdict::stale && !entry.trace_hash_matches
                                     ? " (its trace hash differs from the recording: events changed)"
                                     : "");
    report.entries.push_back(std::move(entry));
  }
  std::cout << absl::StrFormat(
      "  %d regression(s) replayed from %s, %d did not meet their expectation, %d stale\n\n",
      report.entries.size(), folder, report.not_met(), report.stale());
  return report;
}

namespace {

nlohmann::json signature_json(const Signature& signature) {
  if (signature.checker.empty()) return {{"passed", true}};
  return {{"passed", false}, {"checker", signature.checker}, {"location", signature.location}};
}

}  // namespace

nlohmann::json regressions_json(const RegressionReport& report) {
  nlohmann::json entries = nlohmann::json::array();
  for (const RegressionEntry& entry : report.entries) {
    entries.push_back({{"file", entry.file},
                       {"scenario", entry.scenario},
                       {"verdict", regression_verdict_name(entry.verdict)},
                       {"met", entry.met},
                       {"recorded", signature_json(entry.recorded)},
                       {"now", signature_json(entry.now)},
                       {"trace_hash_matches", entry.trace_hash_matches},
                       {"divergence", entry.divergence ? nlohmann::json(*entry.divergence) : nullptr}});
  }
  const std::size_t met = static_cast<std::size_t>(std::count_if(
      report.entries.begin(), report.entries.end(), [](const RegressionEntry& e) { return e.met; }));
  return {{"folder", report.folder},     {"replayed", report.entries.size()}, {"met", met},
          {"not_met", report.not_met()}, {"stale", report.stale()},           {"entries", entries}};
}

}  // namespace corosim::cli
