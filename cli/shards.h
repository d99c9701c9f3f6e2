// Sharding a sweep across machines: `run --shard I/N` runs every Nth seed,
// and `corosim merge A.json B.json ...` combines the shards' --json summaries
// into one verdict. Internal to cli/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace corosim::cli {

struct Shard {
  std::uint64_t index = 1;  // 1..count
  std::uint64_t count = 1;

  // How many of `seeds` consecutive seeds fall to this shard (round robin:
  // shard I takes the (I-1)th, the (I-1+N)th, ...).
  std::uint64_t seeds_of(std::uint64_t seeds) const noexcept {
    return seeds < index ? 0 : (seeds - index) / count + 1;
  }
};

// "I/N" with 1 <= I <= N; errors say what is wrong.
absl::StatusOr<Shard> parse_shard(std::string_view text);

// The shard a test runner assigns through the environment, for a run
// without --shard:
// - TEST_TOTAL_SHARDS and TEST_SHARD_INDEX (0-based), as Bazel and
//   GoogleTest's runners set them; TEST_SHARD_STATUS_FILE, if set, is touched
//   to tell the runner the run honours them;
// - JOB_COMPLETION_INDEX (0-based, a Kubernetes Indexed Job), with the total
//   in COROSIM_TOTAL_SHARDS (a Job does not say how many completions it has).
// nullopt when no runner shards the run; `note` then says why a variable that
// is set was not enough. Errors name the variable and the values it takes.
struct EnvironmentShard {
  Shard shard;
  std::string source;  // "TEST_SHARD_INDEX=1 of TEST_TOTAL_SHARDS=4"
};
absl::StatusOr<std::optional<EnvironmentShard>> shard_from_environment(std::string& note);

struct MergeFlags {
  std::vector<std::string> inputs;
  std::string json_path;  // the merged summary, in run --json's format
};

// Exit 0: every scenario met its expectation over all shards; 1: one did not;
// 2: usage error, an unreadable or malformed summary, shards that do not fit
// together (different strategy, seeds or shard count; a shard missing or
// given twice).
int command_merge(const MergeFlags& flags);

}  // namespace corosim::cli
