// Cancellation liveness: a fiber asked to stop must finish.
//
// A stop request (JoinHandle::request_stop, or an injected stop) asks the
// fiber's code to wind up; what it then awaits is its own business, but it
// has to end. A race combinator that requests its loser's stop and joins it
// hangs if the loser ignores the request. Without this checker that hang is
// a generic deadlock when the loser waits on an event that never comes, or no
// failure at all when it sleeps on a long timer (virtual time just passes).
// The bound is virtual time, so it is deterministic and costs nothing to
// wait out: SimOptions::stop_max_ns unless the request names its own.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/wait_graph.h"

namespace corosim {

namespace {

// "5 ms", "1 h", "3599.995 s": whole hours or minutes, else seconds or
// milliseconds with the decimals they need.
std::string duration_text(std::uint64_t ns) {
  constexpr std::uint64_t kMs = 1'000'000, kS = 1'000 * kMs, kMin = 60 * kS, kH = 60 * kMin;
  if (ns >= kH && ns % kH == 0) return absl::StrCat(ns / kH, " h");
  if (ns >= kMin && ns % kMin == 0) return absl::StrCat(ns / kMin, " min");
  const std::uint64_t unit = ns >= kS ? kS : ns >= kMs ? kMs : 1;
  const char* name = ns >= kS ? "s" : ns >= kMs ? "ms" : "ns";
  std::string text = absl::StrCat(ns / unit);
  if (const std::uint64_t rest = ns % unit; rest != 0) {
    std::string decimals = std::to_string(unit + rest).substr(1);  // leading zeros kept
    while (decimals.back() == '0') decimals.pop_back();
    absl::StrAppend(&text, ".", decimals);
  }
  return absl::StrCat(text, " ", name);
}

}  // namespace

void Simulator::Hooks::stop_requested(Fiber& fiber, const SourceLoc& where, std::uint64_t within_ns) {
  simulator_.watch_stop(fiber, where, within_ns);
}

void Simulator::watch_stop(Fiber& fiber, const SourceLoc& where, std::uint64_t within_ns) {
  const std::uint64_t within = within_ns != 0 ? within_ns : options_.stop_max_ns;
  if (within == 0) return;  // the checker is off
  const std::uint64_t deadline = within > kNoDeadline - 1 - now_ns_ ? kNoDeadline - 1 : now_ns_ + within;
  if (fiber.rare().stop_deadline_ns <= deadline) return;  // already asked, with an earlier deadline
  if (fiber.rare().stop_deadline_ns == kNoDeadline) {
    stopping_.push_back(StopRequest{&fiber, now_ns_, where});
  } else {
    for (StopRequest& request : stopping_) {
      if (request.fiber == &fiber) request = StopRequest{&fiber, now_ns_, where};
    }
  }
  fiber.cold().stop_deadline_ns = deadline;
}

void Simulator::forget_stop(const Fiber& fiber) {
  std::erase_if(stopping_, [&](const StopRequest& request) { return request.fiber == &fiber; });
}

// Time is about to pass to next_ns: if a fiber asked to stop would then be
// past its deadline, the run stops at that deadline and reports it.
bool Simulator::stop_overdue_before(std::uint64_t next_ns) {
  const StopRequest* first = nullptr;
  for (const StopRequest& request : stopping_) {
    if (first == nullptr || request.fiber->rare().stop_deadline_ns < first->fiber->rare().stop_deadline_ns)
      first = &request;
  }
  const std::uint64_t deadline = first->fiber->rare().stop_deadline_ns;
  if (next_ns <= deadline) return false;
  now_ns_ = deadline;
  const Fiber& fiber = *first->fiber;
  std::string wait = "it has not finished";
  if (const TimerNode* timer = timers_.find(fiber); timer != nullptr && fiber.state == FiberState::waiting) {
    wait = absl::StrCat("its timer is due at t=", duration_text(timer->deadline_ns), ", ",
                        duration_text(timer->deadline_ns - first->requested_ns), " after the request");
  }
  report_stop_ignored(fiber, first->requested_ns, first->where, std::move(wait));
  return true;
}

// Nothing can run and no timer is armed, and a fiber asked to stop still
// waits: what it waits for will never come. More to the point than the
// deadlock the same state would otherwise report.
void Simulator::report_stop_never_comes() {
  const StopRequest& first = stopping_.front();
  report_stop_ignored(*first.fiber, first.requested_ns, first.where,
                      "nothing will ever wake it: no fiber can run and no timer is armed");
}

void Simulator::report_stop_ignored(const Fiber& fiber, std::uint64_t requested_ns, const SourceLoc& where,
                                    std::string wait) {
  const std::uint64_t bound = fiber.rare().stop_deadline_ns - requested_ns;
  report_failure(Checker::cancel_liveness,
                 absl::StrCat("fiber ", fiber.id, " was asked to stop at t=", duration_text(requested_ns),
                              " (at ", where.str(), ") and has not finished within ", duration_text(bound),
                              ": it ignores the request.\n  ", describe_blocked_fiber(fiber), "\n  ", wait,
                              ".\nA stop request is honoured by finishing: observe this_stop_token() "
                              "(a std::stop_callback that wakes the wait), or await something that "
                              "completes when the stop is requested."),
                 fiber.suspended_at);
}

}  // namespace corosim
