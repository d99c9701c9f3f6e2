#include "corosim/cli/shards.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "corosim/replay/repro.h"
#include "corosim/cli/flags.h"
#include "corosim/cli/replay_commands.h"

namespace corosim::cli {

namespace {

using nlohmann::json;

// One shard's summary, read and checked.
struct Summary {
  std::string path;
  json document;
  Shard shard;  // 1/1 for an unsharded run
  bool sharded = false;
};

absl::Status malformed(const std::string& path, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": not a `corosim run --json` summary: ", why));
}

absl::StatusOr<Summary> read_summary(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return text.status();
  Summary summary{path, json::parse(*text, nullptr, /*allow_exceptions=*/false), {}, false};
  const json& doc = summary.document;
  if (doc.is_discarded()) return malformed(path, "invalid JSON");
  if (!doc.is_object() || !doc.contains("scenarios") || !doc["scenarios"].is_array() ||
      !doc.contains("strategy") || !doc.contains("seeds")) {
    return malformed(path, "no strategy, seeds or scenarios");
  }
  for (const json& entry : doc["scenarios"]) {
    for (const char* field : {"name", "expect", "cancel"}) {
      if (!entry.contains(field) || !entry[field].is_string()) {
        return malformed(path, absl::StrCat("a scenario without a '", field, "' string"));
      }
    }
    for (const char* field : {"runs", "failures", "cancel_points", "determinism_checks"}) {
      if (!entry.contains(field) || !entry[field].is_number_unsigned()) {
        return malformed(
            path, absl::StrCat("scenario ", entry["name"].get<std::string>(), " has no '", field, "' count"));
      }
    }
  }
  if (doc.contains("shard") && doc["shard"].is_object()) {
    const json& shard = doc["shard"];
    if (!shard.contains("index") || !shard.contains("count") || !shard["index"].is_number_unsigned() ||
        !shard["count"].is_number_unsigned()) {
      return malformed(path, "a shard without index and count");
    }
    summary.shard = Shard{shard["index"].get<std::uint64_t>(), shard["count"].get<std::uint64_t>()};
    summary.sharded = true;
  }
  return summary;
}

// The shards fit together: one sweep (same strategy, seeds, cancellation
// override and shard count), every shard once. Each shard replays the whole
// regression corpus, deterministically, so their verdicts agree too.
absl::Status check_fit(const std::vector<Summary>& summaries) {
  const Summary& first = summaries.front();
  std::set<std::uint64_t> indices;
  for (const Summary& summary : summaries) {
    for (const char* field : {"strategy", "seeds", "cancel", "regressions"}) {
      if (summary.document.value(field, json()) != first.document.value(field, json())) {
        return absl::InvalidArgumentError(absl::StrCat(summary.path, " and ", first.path, " differ in '",
                                                       field, "': not shards of one run"));
      }
    }
    if (summary.sharded != first.sharded || summary.shard.count != first.shard.count) {
      return absl::InvalidArgumentError(
          absl::StrCat(summary.path, " and ", first.path, " were split into different numbers of shards"));
    }
    if (summary.sharded && !indices.insert(summary.shard.index).second) {
      return absl::InvalidArgumentError(absl::StrCat("shard ", summary.shard.index, "/", summary.shard.count,
                                                     " is given twice (", summary.path, ")"));
    }
  }
  if (first.sharded) {
    for (std::uint64_t index = 1; index <= first.shard.count; ++index) {
      if (indices.count(index) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("shard ", index, "/", first.shard.count, " is missing: its seeds were not run"));
      }
    }
  }
  return absl::OkStatus();
}

// The failure with the lowest seed, of the shards' first failures.
json earliest(const json& a, const json& b) {
  if (a.is_null()) return b;
  if (b.is_null()) return a;
  return b.value("seed", std::uint64_t{0}) < a.value("seed", std::uint64_t{0}) ? b : a;
}

// The shards' failure groups, one per checker and location: runs added up,
// the lowest first seed, in order of first appearance (shard 1 first).
json merge_failure_groups(const std::vector<const json*>& parts) {
  json merged = json::array();
  for (const json* part : parts) {
    for (const json& group : part->value("failure_groups", json::array())) {
      auto same = std::find_if(merged.begin(), merged.end(), [&](const json& known) {
        return known["checker"] == group["checker"] && known["location"] == group["location"];
      });
      if (same == merged.end()) {
        merged.push_back(group);
        continue;
      }
      (*same)["runs"] = (*same)["runs"].get<std::uint64_t>() + group.value("runs", std::uint64_t{0});
      (*same)["first_seed"] =
          std::min((*same)["first_seed"].get<std::uint64_t>(), group.value("first_seed", std::uint64_t{0}));
    }
  }
  return merged;
}

json merge_scenario(const std::vector<const json*>& parts) {
  json merged = *parts.front();
  for (const char* field : {"runs", "failures", "cancel_points", "determinism_checks"}) {
    std::uint64_t total = 0;
    for (const json* part : parts) total += (*part)[field].get<std::uint64_t>();
    merged[field] = total;
  }
  bool exhausted = true;
  std::set<std::string> injected_sites;
  for (const json* part : parts) {
    for (const json& site : part->value("injected_sites", json::array())) {
      if (site.is_string()) injected_sites.insert(site.get<std::string>());
    }
    merged["first_failure"] =
        earliest(merged.value("first_failure", json()), part->value("first_failure", json()));
    merged["first_unexpected"] =
        earliest(merged.value("first_unexpected", json()), part->value("first_unexpected", json()));
    if (merged.value("cancel_sites", json::array()).empty())
      merged["cancel_sites"] = part->value("cancel_sites", json::array());
    exhausted = exhausted && part->value("exhausted", false);
  }
  merged["exhausted"] = exhausted;
  merged["failure_groups"] = merge_failure_groups(parts);
  merged["injected_sites"] = injected_sites;
  if (!exhausted) merged["bound"] = nullptr;
  if (!merged["first_failure"].is_null())
    merged["trace_hash"] = merged["first_failure"].value("trace_hash", "");
  const std::uint64_t failures = merged["failures"].get<std::uint64_t>();
  merged["outcome"] = failures == 0 ? "passed" : "failed";
  const bool expects_failure = merged["expect"].get<std::string>() != "passes";
  merged["met"] = merged["first_unexpected"].is_null() && (!expects_failure || failures > 0);
  return merged;
}

// The verdict line of one merged scenario, and its first (unexpected) failure.
void print_merged(const std::string& name, const json& merged) {
  std::cout << absl::StrFormat("  %-4s  %-34s %-22s %d run(s), %d failure(s)\n",
                               merged["met"].get<bool>() ? "ok" : "FAIL", name,
                               merged["expect"].get<std::string>(), merged["runs"].get<std::uint64_t>(),
                               merged["failures"].get<std::uint64_t>());
  const json& shown =
      merged["first_unexpected"].is_null() ? merged["first_failure"] : merged["first_unexpected"];
  if (!shown.is_null()) {
    std::cout << absl::StrFormat(
        "        %s: seed %d, %s at %s\n",
        merged["first_unexpected"].is_null() ? "first failure" : "unexpected failure",
        shown.value("seed", std::uint64_t{0}), shown.value("checker", ""), shown.value("location", ""));
  }
}

struct RegressionCounts {
  std::uint64_t not_met = 0;
  std::uint64_t stale = 0;
};

// Every shard replayed the same corpus (check_fit saw to it): one line for it.
RegressionCounts print_regressions(const json& document) {
  const json regressions = document.value("regressions", json());
  if (!regressions.is_object()) return {};
  RegressionCounts counts{regressions.value("not_met", std::uint64_t{0}),
                          regressions.value("stale", std::uint64_t{0})};
  std::cout << absl::StrFormat(
      "%d regression(s) replayed (the same in every shard): %d did not meet their expectation, %d stale\n",
      regressions.value("replayed", std::uint64_t{0}), counts.not_met, counts.stale);
  return counts;
}

}  // namespace

absl::StatusOr<Shard> parse_shard(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("--shard '", std::string(text), "': ", why));
  };
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return bad("expected I/N, such as 2/4");
  Shard shard;
  if (!absl::SimpleAtoi(std::string(text.substr(0, slash)), &shard.index) ||
      !absl::SimpleAtoi(std::string(text.substr(slash + 1)), &shard.count)) {
    return bad("I and N must be whole numbers");
  }
  if (shard.count == 0) return bad("N must be at least 1");
  if (shard.index == 0 || shard.index > shard.count) {
    return bad(absl::StrCat("shards are numbered 1 to ", shard.count));
  }
  return shard;
}

namespace {

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

// index (0-based) of total, both read strictly, as a Shard.
absl::StatusOr<EnvironmentShard> shard_of(const char* index_name, const char* total_name) {
  auto total = parse_whole(environment(total_name), total_name, 1);
  if (!total.ok()) return total.status();
  auto index = parse_whole(environment(index_name), index_name, 0, *total - 1);
  if (!index.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(index.status().message(), " (", total_name, " is ", *total,
                                                   "; shards are numbered from 0)"));
  }
  return EnvironmentShard{Shard{*index + 1, *total},
                          absl::StrCat(index_name, "=", *index, " of ", total_name, "=", *total)};
}

}  // namespace

absl::StatusOr<std::optional<EnvironmentShard>> shard_from_environment(std::string& note) {
  if (environment("TEST_TOTAL_SHARDS") != nullptr || environment("TEST_SHARD_INDEX") != nullptr) {
    if (environment("TEST_TOTAL_SHARDS") == nullptr || environment("TEST_SHARD_INDEX") == nullptr) {
      return absl::InvalidArgumentError(
          "TEST_TOTAL_SHARDS and TEST_SHARD_INDEX go together: one is set alone");
    }
    auto shard = shard_of("TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS");
    if (!shard.ok()) return shard.status();
    if (const char* status_file = environment("TEST_SHARD_STATUS_FILE")) {
      // The runner's question "does this binary shard?": the file's existence says yes.
      if (!std::ofstream(status_file, std::ios::app)) {
        return absl::InvalidArgumentError(
            absl::StrCat("TEST_SHARD_STATUS_FILE: cannot create '", status_file, "'"));
      }
    }
    return std::optional<EnvironmentShard>(*std::move(shard));
  }
  if (environment("JOB_COMPLETION_INDEX") != nullptr) {
    if (environment("COROSIM_TOTAL_SHARDS") == nullptr) {
      note =
          "JOB_COMPLETION_INDEX is set but COROSIM_TOTAL_SHARDS is not: not sharding (set it to the Job's "
          "completions to split the seeds)";
      return std::nullopt;
    }
    auto shard = shard_of("JOB_COMPLETION_INDEX", "COROSIM_TOTAL_SHARDS");
    if (!shard.ok()) return shard.status();
    return std::optional<EnvironmentShard>(*std::move(shard));
  }
  if (environment("COROSIM_TOTAL_SHARDS") != nullptr) {
    note = "COROSIM_TOTAL_SHARDS is set but JOB_COMPLETION_INDEX is not: not sharding";
  }
  return std::nullopt;
}

int command_merge(const MergeFlags& flags) {
  std::vector<Summary> summaries;
  for (const std::string& path : flags.inputs) {
    auto summary = read_summary(path);
    if (!summary.ok()) {
      return usage_error("merge", summary.status());
    }
    summaries.push_back(std::move(*summary));
  }
  if (absl::Status fit = check_fit(summaries); !fit.ok()) {
    return usage_error("merge", fit);
  }
  // Shard 1 first: it ran the first seed, whose run gives a passing scenario's trace hash and sites.
  std::sort(summaries.begin(), summaries.end(),
            [](const Summary& a, const Summary& b) { return a.shard.index < b.shard.index; });
  // Scenario name -> its entry in each summary (sorted by name, as run lists them).
  std::map<std::string, std::vector<const json*>> parts;
  for (const Summary& summary : summaries) {
    for (const json& entry : summary.document["scenarios"])
      parts[entry["name"].get<std::string>()].push_back(&entry);
  }
  json scenarios = json::array();
  std::size_t met = 0;
  std::cout << absl::StrFormat("corosim merge: %d summaries, %d scenario(s), strategy %s\n\n",
                               summaries.size(), parts.size(), summaries.front().document["strategy"].dump());
  for (const auto& [name, entries] : parts) {
    if (entries.size() != summaries.size()) {
      return usage_error(
          "merge", absl::InvalidArgumentError(
                       absl::StrCat("scenario ", name, " is in ", entries.size(), " of the ",
                                    summaries.size(), " summaries: they did not select the same scenarios")));
    }
    for (const json* entry : entries) {
      if ((*entry)["expect"] != (*entries.front())["expect"]) {
        return usage_error("merge",
                           absl::InvalidArgumentError(absl::StrCat(
                               "scenario ", name, " expects different things in different summaries")));
      }
    }
    json merged = merge_scenario(entries);
    if (merged["met"].get<bool>()) ++met;
    print_merged(name, merged);
    scenarios.push_back(std::move(merged));
  }
  std::cout << absl::StrFormat("\n%d scenario(s): %d met their expectation, %d did not\n", parts.size(), met,
                               parts.size() - met);
  const RegressionCounts regressions = print_regressions(summaries.front().document);
  if (!flags.json_path.empty()) {
    json document = summaries.front().document;
    document["shard"] = nullptr;
    document["merged_from"] = flags.inputs;
    document["scenarios"] = std::move(scenarios);
    document["summary"] = {{"scenarios", parts.size()}, {"met", met}, {"not_met", parts.size() - met}};
    if (absl::Status status = write_file_atomically(flags.json_path, document.dump(2) + "\n"); !status.ok()) {
      return usage_error("merge", status);
    }
  }
  return verdict_exit_code(met == parts.size() && regressions.not_met == 0, regressions.stale > 0);
}

}  // namespace corosim::cli
