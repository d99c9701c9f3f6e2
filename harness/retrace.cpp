#include "corosim/harness/retrace.h"

#include "absl/strings/str_cat.h"
#include "corosim/sim/strategy/replay.h"

namespace corosim {

namespace {

std::string describe_failure(const std::optional<Failure>& failure) {
  if (!failure) return "passed";
  return absl::StrCat("failed: ", checker_name(failure->checker), " at ", failure->location.str(), " (step ",
                      failure->step, ")");
}

// The first way `again` is not the run `first` was, or "".
std::string compare(const RunResult& first, const RunResult& again, const ReplayStrategy& replay) {
  if (replay.divergence()) return "the re-run asked for other decisions: " + *replay.divergence();
  if (replay.consumed() < replay.recorded()) {
    return absl::StrCat("the re-run ended after ", replay.consumed(), " of the run's ", replay.recorded(),
                        " decisions");
  }
  const auto differs = [](const char* what, std::uint64_t a, std::uint64_t b) {
    return absl::StrCat(what, ": ", a, " in the run, ", b, " in its re-run");
  };
  const bool same_failure =
      first.failure.has_value() == again.failure.has_value() &&
      (!first.failure ||
       (first.failure->checker == again.failure->checker &&
        first.failure->message == again.failure->message &&
        first.failure->location.str() == again.failure->location.str() &&
        first.failure->step == again.failure->step && first.failure->event == again.failure->event));
  if (!same_failure) {
    const std::string run = describe_failure(first.failure);
    const std::string rerun = describe_failure(again.failure);
    if (run != rerun) return absl::StrCat("the run ", run, ", its re-run ", rerun);
    return absl::StrCat("both ", run, ", with other messages or at other events: \"", first.failure->message,
                        "\" (event ", first.failure->event, ") and \"", again.failure->message, "\" (event ",
                        again.failure->event, ")");
  }
  if (first.steps != again.steps) return differs("steps", first.steps, again.steps);
  if (first.events != again.events) return differs("trace events", first.events, again.events);
  if (first.time_ns != again.time_ns) return differs("virtual time (ns)", first.time_ns, again.time_ns);
  if (first.fibers != again.fibers) return differs("fibers", first.fibers, again.fibers);
  if (first.cancel_points != again.cancel_points)
    return differs("cancellation points", first.cancel_points, again.cancel_points);
  return "";
}

}  // namespace

Retraced retrace(const MainFactory& main, SimOptions options, const RunResult& untraced, Trace* trace) {
  options.record_trace = true;
  options.cancel = untraced.cancel_plan;
  ReplayStrategy replay(untraced.decisions, ReplayStrategy::Mode::halt);
  Simulator simulator(replay, options);
  Retraced retraced;
  retraced.run = simulator.run(main, untraced.seed);
  retraced.difference = compare(untraced, retraced.run, replay);
  if (trace != nullptr) *trace = simulator.trace();
  return retraced;
}

Failure nondeterminism_failure(const std::string& what, const SourceLoc& where) {
  Failure failure;
  failure.checker = Checker::nondeterminism;
  failure.message = what +
                    "\nThe code under test read something the simulator does not control: real "
                    "time, an unseeded random source, addresses, or state kept from a previous run.";
  failure.location = where;
  return failure;
}

}  // namespace corosim
