// Fuzzing a scenario: one run per fuzzer input, every decision read from the
// input's bits (BytesStrategy; past its end the schedule is a pos sample),
// the scenario's own cancellation injected at sites the input arms.
// fuzz/target.h turns this into a libFuzzer target; `corosim import-fuzz`
// turns an input into a repro, `export-fuzz` a repro into an input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "corosim/replay/repro.h"
#include "corosim/scenarios/registry.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/bytes.h"

namespace corosim {

// The options of every fuzz run of scenario (its repros record them): a
// scenario explored with injected cancellation gets random injection over its
// modes, so the input decides which sites are armed, where one fires and in
// which mode; a swept scenario gets at most one injection per run, as in its
// sweep.
SimOptions fuzz_options(const Scenario& scenario);

class FuzzHarness {
 public:
  explicit FuzzHarness(const Scenario& scenario);

  // Runs the scenario once on input (borrowed for the call).
  const RunResult& run(std::string_view input);
  // The last run, as a repro ("strategy: fuzz").
  Repro repro() const;
  const Trace& trace() const noexcept { return simulator_.trace(); }
  const Scenario& scenario() const noexcept { return scenario_; }

 private:
  const Scenario& scenario_;
  SimOptions options_;
  BytesStrategy strategy_;
  Simulator simulator_;
  RunResult last_;
};

// The input that makes the fuzz run of repro's scenario follow the repro's
// run. Decisions carry over; a cancellation at one point becomes "arm every
// site, fire at that point". Errors when the run has no fuzz form (prestart,
// a mode the scenario is not fuzzed with) or the converted run does not end
// as the repro did (same checker and location).
absl::StatusOr<std::string> fuzz_input_from_repro(const Scenario& scenario, const Repro& repro);

// A libFuzzer target's body (CORO_FUZZ_TARGET): runs the input; a failing
// run prints its report and how to make the input a repro, then aborts, so
// the fuzzer keeps the input as a crash. An unknown scenario name aborts on
// the first input with the list of known ones.
// With schedule_counters (libFuzzer's extra counters, as CORO_FUZZ_TARGET
// passes them), the run's interleaving is counted into them
// (harness/schedule_coverage.h), so the fuzzer keeps inputs that reach new
// schedules, not only new code.
int fuzz_one_input(const char* scenario, const std::uint8_t* data, std::size_t size,
                   std::span<std::uint8_t> schedule_counters = {});

// The registered scenario whose fuzz target is named `program` (a name or a
// path, as argv[0] gives it): SCENARIO_fuzzer with each '/' as '_', as
// fuzz/names.sh names them, read backwards. An error when no scenario has
// that name, or more than one does.
absl::StatusOr<std::string> scenario_of_fuzz_target(std::string_view program);

}  // namespace corosim
