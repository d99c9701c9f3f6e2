// Repro files: one run, written down so that it replays exactly.
//
//   corosim-repro 3
//   scenario: select/read_send
//   strategy: random seed=1234
//   cancel: point=2 mode=drop
//   steps-max: 1000000
//   time-max-ns: 604800000000000    (only when not the default day)
//   timer-jitter-ns: 5000000        (only when the run jittered timers)
//   decisions: s0/2 y1/2*3 t1/2 r7/10
//   failure: cancel-safety: claimed total, but this run is unsafe: ...
//   location: scenarios/bundled/read_send.cpp:119
//   trace-hash: 24ece248525b840a
//
// One field a line, in this order; a line starting with '#' is a comment.
// The decision stream is what replays the run; strategy and seed say where it
// came from. Each decision is <kind letter><value>/<n> (s schedule, y yield,
// t timer tie, r random, a cancel-arm, f cancel-fire, m cancel-mode,
// b buggify-arm, g buggify-fire, d timer-delay), and
// "*k" repeats a decision k times. `cancel` is none, point=K mode=M, or
// random modes=M,N,... (with " once": at most one injection per run, as fuzz
// runs of a swept scenario do). A passing run has `failure: none` and no
// location. `strategy` is where the run came from (random, pct, ..., fuzz for
// an imported fuzz input); replay reads only the decisions.
//
// The failure signature — scenario, checker and location (file:line) — is
// what deduplicates repros and what minimisation preserves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "corosim/executor/checker.h"
#include "corosim/sim/cancel.h"
#include "corosim/sim/decision.h"

namespace corosim {

// Version 2: cancellation points are counted under the cancellers model
// (docs/cancellation.md). A version 1 file replays if it injected nothing;
// one that names a cancellation is refused with the reason.
// Version 3: no yield decision before yield_now (SimOptions::
// decide_before_yield_now); older files replay with one, as recorded.
// Version 4: none before an operation that parks anyway (SimOptions::
// decide_before_parking); older files replay with one, as recorded.
inline constexpr int kReproVersion = 4;
// The version a run's repro is written in: the rules its decisions followed.
constexpr int repro_version_for(bool decided_before_yield_now, bool decided_before_parking) noexcept {
  return decided_before_yield_now ? 2 : decided_before_parking ? 3 : kReproVersion;
}

// SimOptions' default virtual-time bound, a day (repro_test ties the two):
// a repro without a time-max-ns line ran under it.
inline constexpr std::uint64_t kReproTimeMaxDefaultNs = 24ULL * 3600 * 1'000'000'000;

struct Repro {
  int version = kReproVersion;  // the format it was read from or is written in
  std::string scenario;
  std::string strategy = "random";
  std::uint64_t seed = 0;
  CancelPlan cancel;
  std::uint64_t steps_max = 1'000'000;
  std::uint64_t time_max_ns = kReproTimeMaxDefaultNs;  // its line is written only for another bound
  std::uint64_t timer_jitter_ns = 0;                   // optional line; 0: absent
  DecisionStream decisions;
  std::optional<Checker> checker;  // none: the run passed
  std::string message;             // the failure message's first line
  std::string location;            // file:line of the failure
  std::uint64_t trace_hash = 0;

  // "scenario|checker|location": equal for the same bug.
  std::string signature() const { return scenario + "|" + checker_text() + "|" + location; }
  // The checker's name, or "" for a passing run.
  std::string checker_text() const { return checker ? checker_name(*checker) : ""; }
};

// Limits that keep a hostile file from exhausting memory or time.
inline constexpr std::uint64_t kReproDecisionsMax = 10'000'000;
inline constexpr std::uint64_t kReproStepsMax = 1'000'000'000;

std::string format_repro(const Repro& repro);
// Errors name the line and what was wrong with it; `origin` (a path) prefixes them.
absl::StatusOr<Repro> parse_repro(std::string_view text, std::string_view origin = "repro");

std::string encode_decisions(const DecisionStream& decisions);
// Calls visit(decision, repeat) for each run of equal consecutive decisions:
// the grouping the decisions field writes as "*k". Allocates nothing (the
// crash handler writes a repro with it).
template <class Decisions, class Visit>
void for_each_decision_run(const Decisions& decisions, Visit&& visit) {
  for (std::size_t i = 0; i < decisions.size();) {
    std::size_t repeat = 1;
    while (i + repeat < decisions.size() && decisions[i + repeat] == decisions[i]) ++repeat;
    visit(decisions[i], repeat);
    i += repeat;
  }
}
// The letter a decision kind is written with ('s' for schedule, ...).
char kind_letter(DecisionKind kind) noexcept;
absl::StatusOr<DecisionStream> decode_decisions(std::string_view text);

// Writes path through a temporary file and a rename, so a reader never sees
// half a repro.
absl::Status write_file_atomically(const std::string& path, const std::string& contents);
absl::StatusOr<std::string> read_file(const std::string& path);

}  // namespace corosim
