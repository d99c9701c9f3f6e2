#include "corosim/cli/flags.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace corosim::cli {

namespace {

// "'TEXT' is not a whole number; expected ...", or "" with value set.
std::string whole_problem(std::string_view text, std::uint64_t min, std::uint64_t max, std::uint64_t& value) {
  const auto refuse = [&](std::string_view why) {
    return absl::StrCat("'", std::string(text), "' ", std::string(why), "; expected ", whole_range(min, max));
  };
  if (text.empty()) return refuse("is empty");
  for (char c : text) {
    // SimpleAtoi alone takes "-1" for an unsigned, "+5" and surrounding spaces.
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return refuse("is not a whole number");
  }
  if (!absl::SimpleAtoi(std::string(text), &value)) return refuse("is too large");
  if (value < min || value > max) return refuse("is out of range");
  return "";
}

}  // namespace

std::string whole_range(std::uint64_t min, std::uint64_t max) {
  if (max == kNoLimit) return absl::StrCat("a whole number from ", min);
  return absl::StrCat("a whole number from ", min, " to ", max);
}

absl::StatusOr<std::uint64_t> parse_whole(std::string_view text, std::string_view name, std::uint64_t min,
                                          std::uint64_t max) {
  std::uint64_t value = 0;
  if (std::string problem = whole_problem(text, min, max, value); !problem.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name), ": ", problem));
  }
  return value;
}

CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  // CLI11 prefixes the option's name to the message.
  return CLI::Validator(
      [min, max](std::string& text) {
        std::uint64_t value = 0;
        return whole_problem(text, min, max, value);
      },
      whole_range(min, max));
}

CLI::Validator non_empty_path() {
  return CLI::Validator(
      [](std::string& text) -> std::string { return text.empty() ? "must not be empty" : ""; }, "PATH");
}

}  // namespace corosim::cli
