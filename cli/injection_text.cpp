#include "corosim/cli/injection_text.h"

#include "absl/strings/str_cat.h"
#include "corosim/executor/fiber.h"

namespace corosim::cli {

namespace {

// A landing by a racing timer the stall made fire at once: the run stands for
// an operation slower than that timer, which a check on timer order may not
// expect.
std::string brought_forward(const CancelInjection& injection) {
  if (injection.brought_forward_ns == 0) return "";
  return absl::StrCat(
      ", by a timer due at t=", virtual_time_text(injection.brought_forward_ns),
      " that the stall brought forward to t=", virtual_time_text(injection.brought_forward_at_ns),
      " (the operation ran slower than it: docs/cancellation.md, \"stalls\")");
}

}  // namespace

std::string describe_injection(const CancelInjection& injection) {
  if (injection.outside_fibers) {
    return absl::StrCat("the declared canceller made at ", injection.where.str(), " acted on its ",
                        injection.what, " (cancellation point ", injection.point, ", in the step of fiber ",
                        injection.fiber, ")");
  }
  if (injection.mode == CancelMode::prestart) {
    return absl::StrCat("prestart of the externally cancellable fiber started ", injection.point,
                        "th (fiber ", injection.fiber, ", spawned at ", injection.where.str(), ")");
  }
  const std::string waited =
      absl::StrCat("fiber ", injection.fiber, " waited at ", injection.where.str(),
                   *injection.what != '\0' ? absl::StrCat(" in ", injection.what) : std::string());
  const std::string canceller_at = injection.canceller_at.str();
  const std::string point = absl::StrCat(" (cancellation point ", injection.point, ")");
  switch (injection.canceller) {
    case Canceller::timeout:
      return absl::StrCat("the timeout at ", canceller_at, " fired while ", waited, point,
                          brought_forward(injection));
    case Canceller::race:
      return absl::StrCat("another arm of the select at ", canceller_at, " won while ", waited, point,
                          brought_forward(injection));
    case Canceller::token:
      return absl::StrCat("the cancellation token of run_until_cancelled at ", canceller_at,
                          " was cancelled while ", waited, point, brought_forward(injection));
    case Canceller::owner:
      return absl::StrCat("its owner (spawned it at ", canceller_at, ") cancelled it while ", waited, point);
    case Canceller::none:
    case Canceller::external: break;
  }
  return absl::StrCat(cancel_mode_name(injection.mode), " at cancellation point ", injection.point,
                      " (fiber ", injection.fiber, ", ", injection.where.str(), ")");
}

// A stall whose canceller never acted but held its woken fiber while virtual
// time passed: a failure may come from that delay alone (a check that needs
// the program's timers in order), and the report says so.
std::string describe_hold(const CancelInjection& injection) {
  const std::string canceller_at = injection.canceller_at.str();
  std::string canceller;
  switch (injection.canceller) {
    case Canceller::owner:
      canceller = absl::StrCat("its owner or scope (spawned it at ", canceller_at, ")");
      break;
    case Canceller::timeout: canceller = absl::StrCat("the timeout at ", canceller_at); break;
    case Canceller::race: canceller = absl::StrCat("the select at ", canceller_at); break;
    case Canceller::token:
      canceller = absl::StrCat("the cancellation token of run_until_cancelled at ", canceller_at);
      break;
    case Canceller::none:
    case Canceller::external: canceller = "its canceller"; break;
  }
  return absl::StrCat("fiber ", injection.fiber, " was held at ", injection.where.str(),
                      *injection.what != '\0' ? absl::StrCat(" in ", injection.what) : std::string(),
                      " from t=", virtual_time_text(injection.held_from_ns),
                      " to t=", virtual_time_text(injection.held_until_ns), " for ", canceller,
                      ", which did not cancel it (cancellation point ", injection.point,
                      "): a stall stands for an operation that slow. A check that needs the program's "
                      "timers to fire in order opts out with .under_cancel(corosim::CancelExploration::none) "
                      "(docs/cancellation.md, \"stalls\")");
}

bool held_across_time(const CancelInjection& injection) {
  return !injection.landed && injection.held_until_ns > injection.held_from_ns;
}

std::string injection_lines(const std::vector<CancelInjection>& injections, const std::string& indent) {
  std::string lines;
  for (const CancelInjection& injection : injections) {
    if (injection.landed) {
      absl::StrAppend(&lines, indent, "cancelled: ", describe_injection(injection), "\n");
    } else if (held_across_time(injection)) {
      absl::StrAppend(&lines, indent, "held: ", describe_hold(injection), "\n");
    }
  }
  return lines;
}

}  // namespace corosim::cli
