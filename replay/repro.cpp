#include "corosim/replay/repro.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "corosim/sim/trace.h"

namespace corosim {

namespace {

// Debian's Abseil has its own string_view, so absl::StrSplit does not take ours.
std::vector<std::string_view> split(std::string_view text, char separator, bool skip_empty = false) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    const std::string_view part = text.substr(start, end == std::string_view::npos ? end : end - start);
    if (!part.empty() || !skip_empty) parts.push_back(part);
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

constexpr std::array<std::pair<DecisionKind, char>, 10> kKindLetters = {{
    {DecisionKind::schedule, 's'},
    {DecisionKind::yield, 'y'},
    {DecisionKind::timer_tie, 't'},
    {DecisionKind::random, 'r'},
    {DecisionKind::cancel_arm, 'a'},
    {DecisionKind::cancel_fire, 'f'},
    {DecisionKind::cancel_mode, 'm'},
    {DecisionKind::buggify_arm, 'b'},
    {DecisionKind::buggify_fire, 'g'},
    {DecisionKind::timer_delay, 'd'},
}};

}  // namespace

char kind_letter(DecisionKind kind) noexcept {
  for (const auto& [known, letter] : kKindLetters) {
    if (known == kind) return letter;
  }
  return '?';
}

namespace {

std::string decision_token(const Decision& decision) {
  return absl::StrCat(std::string(1, kind_letter(decision.kind)), decision.value, "/", decision.n);
}

bool parse_number(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(std::string(text), &out);
}

std::string format_cancel(const CancelPlan& plan) {
  switch (plan.kind) {
    case CancelPlan::Kind::none: return "none";
    case CancelPlan::Kind::at_point:
      return absl::StrCat("point=", plan.point, " mode=", cancel_mode_name(plan.mode));
    case CancelPlan::Kind::random:
      return "random modes=" + cancel_modes_string(plan.modes) + (plan.once ? " once" : "");
  }
  return "none";
}

absl::StatusOr<CancelPlan> parse_cancel(std::string_view text) {
  if (text == "none") return CancelPlan{};
  if (text.substr(0, 13) == "random modes=") {
    std::string_view rest = text.substr(13);
    const bool once = rest.size() > 5 && rest.substr(rest.size() - 5) == " once";
    if (once) rest.remove_suffix(5);
    auto modes = parse_cancel_modes(rest);
    if (!modes.ok()) return modes.status();
    CancelPlan plan = CancelPlan::random(*modes);
    plan.once = once;
    return plan;
  }
  std::vector<std::string_view> parts = split(text, ' ');
  if (parts.size() != 2 || parts[0].substr(0, 6) != "point=" || parts[1].substr(0, 5) != "mode=") {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected 'none', 'point=K mode=M' or 'random modes=M,... [once]', got '", std::string(text), "'"));
  }
  std::uint64_t point = 0;
  if (!parse_number(parts[0].substr(6), point)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cancellation point '", std::string(parts[0].substr(6)), "' is not a whole number"));
  }
  auto mode = parse_cancel_modes(parts[1].substr(5));
  if (!mode.ok()) return mode.status();
  if (mode->size() != 1) return absl::InvalidArgumentError("a cancellation point takes one mode");
  return CancelPlan::at(point, mode->front());
}

}  // namespace

std::string encode_decisions(const DecisionStream& decisions) {
  std::string out;
  for_each_decision_run(decisions, [&](const Decision& decision, std::size_t repeat) {
    if (!out.empty()) out += ' ';
    out += decision_token(decision);
    if (repeat > 1) absl::StrAppend(&out, "*", repeat);
  });
  return out;
}

absl::StatusOr<DecisionStream> decode_decisions(std::string_view text) {
  // A hostile "s0/2*99999999999" must not allocate gigabytes.
  constexpr std::uint64_t kDecisionsMax = kReproDecisionsMax;
  DecisionStream decisions;
  std::size_t index = 0;
  for (std::string_view token : split(text, ' ', true)) {
    ++index;
    auto bad = [&](const std::string& why) {
      return absl::InvalidArgumentError(
          absl::StrCat("decision token ", index, " '", std::string(token), "': ", why));
    };
    Decision decision{};
    bool known = false;
    for (const auto& [kind, letter] : kKindLetters) {
      if (token[0] == letter) {
        decision.kind = kind;
        known = true;
      }
    }
    if (!known) return bad("unknown kind letter (expected one of s y t r a f m b g d)");
    std::string_view rest = token.substr(1);
    std::uint64_t repeat = 1;
    if (std::size_t star = rest.find('*'); star != std::string_view::npos) {
      if (!parse_number(rest.substr(star + 1), repeat) || repeat == 0) {
        return bad("the repeat count after '*' must be a whole number from 1");
      }
      rest = rest.substr(0, star);
    }
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return bad("expected <value>/<n>");
    if (!parse_number(rest.substr(0, slash), decision.value) ||
        !parse_number(rest.substr(slash + 1), decision.n)) {
      return bad("value and n must be whole numbers");
    }
    if (decision.n < 2) return bad("n must be at least 2 (single choices are not recorded)");
    if (decision.value >= decision.n) return bad("the value must be below n");
    if (repeat > kDecisionsMax - decisions.size()) {
      return bad(absl::StrCat("more than ", kDecisionsMax, " decisions in all: not a run corosim records"));
    }
    decisions.insert(decisions.end(), repeat, decision);
  }
  return decisions;
}

std::string format_repro(const Repro& repro) {
  std::string out = absl::StrCat("corosim-repro ", repro.version, "\n");
  absl::StrAppend(&out, "scenario: ", repro.scenario, "\n");
  absl::StrAppend(&out, "strategy: ", repro.strategy, " seed=", repro.seed, "\n");
  absl::StrAppend(&out, "cancel: ", format_cancel(repro.cancel), "\n");
  absl::StrAppend(&out, "steps-max: ", repro.steps_max, "\n");
  if (repro.time_max_ns != kReproTimeMaxDefaultNs)
    absl::StrAppend(&out, "time-max-ns: ", repro.time_max_ns, "\n");
  if (repro.timer_jitter_ns != 0) absl::StrAppend(&out, "timer-jitter-ns: ", repro.timer_jitter_ns, "\n");
  absl::StrAppend(&out, "decisions: ", encode_decisions(repro.decisions), "\n");
  if (!repro.checker) {
    out += "failure: none\n";
  } else {
    absl::StrAppend(&out, "failure: ", checker_name(*repro.checker), ": ", repro.message, "\n");
    absl::StrAppend(&out, "location: ", repro.location, "\n");
  }
  absl::StrAppend(&out, "trace-hash: ", hash_hex(repro.trace_hash), "\n");
  return out;
}

namespace {

// The lines that carry fields: (line number, text), without comments, blank
// lines or a Windows line end.
std::vector<std::pair<std::size_t, std::string_view>> field_lines(std::string_view text) {
  std::vector<std::pair<std::size_t, std::string_view>> lines;
  std::size_t number = 0;
  for (std::string_view line : split(text, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    lines.emplace_back(number, line);
  }
  return lines;
}

// What is wrong with the "corosim-repro N" line, or "". version: N.
std::string header_error(std::string_view header, std::uint64_t& version) {
  if (header.substr(0, 14) != "corosim-repro ") {
    return absl::StrCat("not a corosim repro: the first line must be 'corosim-repro ", kReproVersion, "'");
  }
  if (!parse_number(header.substr(14), version)) return "bad version number";
  if (version < 1 || version > kReproVersion) {
    return absl::StrCat("repro version ", version, " is not supported (this corosim reads versions 1 to ",
                        kReproVersion, ")");
  }
  return "";
}

// A version 1 file counted cancellation points under the old boundary
// model: its cancellation names a different place now.
std::string version_1_error(const CancelPlan& plan) {
  if (plan.kind == CancelPlan::Kind::none) return "";
  return "a version 1 repro with injected cancellation cannot be replayed: corosim now injects only "
         "the cancellations the program's own cancellers could make, so its cancellation points are "
         "numbered differently (docs/cancellation.md, \"Older repro files\"); re-record it with "
         "`corosim run --out DIR`";
}

// "failure: none" or "failure: CHECKER: MESSAGE" into repro; what is wrong, or "".
std::string parse_failure(std::string_view value, Repro& repro, bool& passed) {
  if (value == "none") {
    passed = true;
    return "";
  }
  const std::size_t split = value.find(": ");
  const std::string_view checker = value.substr(0, split);
  if (split == std::string_view::npos || split == 0 ||
      checker.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string_view::npos) {
    return "expected 'failure: none' or 'failure: CHECKER: MESSAGE' (a checker name is lowercase "
           "letters and '-')";
  }
  repro.checker = checker_from_name(checker);
  if (!repro.checker)
    return absl::StrCat("unknown checker '", std::string(checker), "'", checker_suggestion(checker));
  repro.message = std::string(value.substr(split + 2));
  return "";
}

// One field's value into repro; what is wrong with it, or "".
std::string parse_field(std::string_view field, std::string_view value, Repro& repro, bool& passed) {
  if (field == "scenario") {
    if (value.empty()) return "empty scenario name";
    repro.scenario = std::string(value);
  } else if (field == "strategy") {
    std::vector<std::string_view> parts = split(value, ' ');
    if (parts.size() != 2 || parts[1].substr(0, 5) != "seed=" ||
        !parse_number(parts[1].substr(5), repro.seed)) {
      return "expected 'strategy: NAME seed=N'";
    }
    repro.strategy = std::string(parts[0]);
  } else if (field == "cancel") {
    auto plan = parse_cancel(value);
    if (!plan.ok()) return std::string(plan.status().message());
    repro.cancel = *plan;
  } else if (field == "steps-max") {
    if (!parse_number(value, repro.steps_max) || repro.steps_max == 0 || repro.steps_max > kReproStepsMax) {
      return absl::StrCat("steps-max must be a whole number from 1 to ", kReproStepsMax);
    }
  } else if (field == "time-max-ns") {
    if (!parse_number(value, repro.time_max_ns) || repro.time_max_ns == 0 ||
        repro.time_max_ns > (1ULL << 62)) {
      return "time-max-ns must be a whole number of nanoseconds from 1";
    }
  } else if (field == "timer-jitter-ns") {
    if (!parse_number(value, repro.timer_jitter_ns) || repro.timer_jitter_ns > (1ULL << 62)) {
      return "timer-jitter-ns must be a whole number of nanoseconds";
    }
  } else if (field == "decisions") {
    auto decisions = decode_decisions(value);
    if (!decisions.ok()) return std::string(decisions.status().message());
    repro.decisions = std::move(*decisions);
  } else if (field == "failure") {
    return parse_failure(value, repro, passed);
  } else if (field == "location") {
    if (passed) return "a passing run ('failure: none') has no location";
    repro.location = std::string(value);
  } else if (field == "trace-hash") {
    if (value.size() != 16 || value.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
      return "trace-hash must be 16 lowercase hex digits";
    }
    repro.trace_hash = std::stoull(std::string(value), nullptr, 16);
  }
  return "";
}

// Fields in the order they must appear; location only with a failure, and
// time-max-ns (a day when absent) and timer-jitter-ns (0) optional.
const std::vector<std::string_view> kFieldOrder = {"scenario",    "strategy",        "cancel",    "steps-max",
                                                   "time-max-ns", "timer-jitter-ns", "decisions", "failure",
                                                   "location",    "trace-hash"};

bool may_skip(std::string_view field, bool passed) {
  return (field == "location" && passed) || field == "time-max-ns" || field == "timer-jitter-ns";
}

// Where field stands in kFieldOrder at or after next, or what is wrong.
absl::StatusOr<std::size_t> field_position(std::string_view field, std::size_t next, bool passed) {
  std::size_t at = next;
  while (at < kFieldOrder.size() && kFieldOrder[at] != field) ++at;
  if (at == kFieldOrder.size()) {
    for (std::size_t seen = 0; seen < next; ++seen) {
      if (kFieldOrder[seen] == field) {
        return absl::InvalidArgumentError(absl::StrCat("field '", std::string(field), "' appears twice"));
      }
    }
    return absl::InvalidArgumentError(absl::StrCat("unknown field '", std::string(field), "'"));
  }
  for (std::size_t skipped = next; skipped < at; ++skipped) {
    if (may_skip(kFieldOrder[skipped], passed)) continue;
    return absl::InvalidArgumentError(absl::StrCat("missing field '", std::string(kFieldOrder[skipped]),
                                                   "' before '", std::string(field), "'"));
  }
  return at;
}

}  // namespace

absl::StatusOr<Repro> parse_repro(std::string_view text, std::string_view origin) {
  const std::vector<std::pair<std::size_t, std::string_view>> lines = field_lines(text);
  const std::string where = std::string(origin);
  auto error = [&](std::size_t line, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(where, ":", line, ": ", why));
  };
  if (lines.empty()) return absl::InvalidArgumentError(where + ": empty file: not a corosim repro");
  std::uint64_t version = 0;
  if (std::string why = header_error(lines.front().second, version); !why.empty())
    return error(lines.front().first, why);

  Repro repro;
  repro.version = static_cast<int>(version);
  std::size_t next = 0;  // index into kFieldOrder
  bool passed = false;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto [line_number, line] = lines[i];
    const std::size_t colon = line.find(": ");
    if (colon == std::string_view::npos) return error(line_number, "expected 'field: value'");
    const std::string_view field = line.substr(0, colon);
    absl::StatusOr<std::size_t> at = field_position(field, next, passed);
    if (!at.ok()) return error(line_number, std::string(at.status().message()));
    next = *at + 1;
    if (std::string why = parse_field(field, line.substr(colon + 2), repro, passed); !why.empty()) {
      return error(line_number, why);
    }
    if (field != "cancel" || version != 1) continue;
    if (std::string why = version_1_error(repro.cancel); !why.empty()) return error(line_number, why);
  }
  for (std::size_t k = next; k < kFieldOrder.size(); ++k) {
    if (may_skip(kFieldOrder[k], passed)) continue;
    return error(lines.back().first,
                 absl::StrCat("the file ends before field '", std::string(kFieldOrder[k]), "'"));
  }
  return repro;
}

absl::Status write_file_atomically(const std::string& path, const std::string& contents) {
  const std::string temporary = absl::StrCat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return absl::UnavailableError(absl::StrCat("cannot write '", temporary, "'"));
    out << contents;
    out.flush();
    if (!out) return absl::UnavailableError(absl::StrCat("writing '", temporary, "' failed"));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(temporary.c_str());
    return absl::UnavailableError(absl::StrCat("cannot rename '", temporary, "' to '", path, "': ", why));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read '", path, "'"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace corosim
