// Strict parsing of the command line's numbers and paths, and of the
// COROSIM_* variables: a flag either means what it says or is refused with a
// message naming it and the values it takes. Internal to cli/.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>
#include <string_view>

#include "absl/status/statusor.h"

namespace corosim::cli {

constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();
// --timer-jitter-ms: an hour late at most (more only ever trips the time budget).
constexpr std::uint64_t kTimerJitterMsMax = 3'600'000;
// --time-max-s: ten years of virtual time.
constexpr std::uint64_t kTimeMaxSMax = 10ULL * 365 * 24 * 3600;

// Digits only — no sign (so "-1" never wraps to 2^64 - 1), no spaces, no
// fraction — and within [min, max]. Errors read "NAME: 'TEXT' is not ...".
absl::StatusOr<std::uint64_t> parse_whole(std::string_view text, std::string_view name, std::uint64_t min,
                                          std::uint64_t max = kNoLimit);

// "a whole number from 1", "a whole number from 0 to 3600000": the values a
// flag takes, for messages and --help.
std::string whole_range(std::uint64_t min, std::uint64_t max);

// A CLI11 check of an option's text with parse_whole; the option then
// converts text that passed.
CLI::Validator whole_number(std::uint64_t min, std::uint64_t max = kNoLimit);

// A CLI11 check that a file or folder option is not empty (`--json ""`).
CLI::Validator non_empty_path();

}  // namespace corosim::cli
