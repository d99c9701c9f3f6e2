#include "corosim/runtime/cancel_safety.h"

#include "corosim/runtime/usage_error.h"

namespace corosim {

const char* cancel_safety_name(CancelSafety verdict) noexcept {
  switch (verdict) {
    case CancelSafety::total: return "total";
    case CancelSafety::partial: return "partial";
    case CancelSafety::terminal: return "terminal";
    case CancelSafety::unsafe: return "unsafe";
  }
  return "?";
}

namespace detail {

void report_cancel_safety(CancelSafety claim, CancelSafety verdict, const std::string& expected,
                          const std::string& observed, const std::string& retry_error,
                          const std::source_location& where, const char* took) {
  // took: the asio cancellation type the operation took (asio/cancel_safety.h).
  std::string message =
      std::string("claimed ") + cancel_safety_name(claim) +
      (took != nullptr ? std::string(" and took a ") + took + " cancellation" : std::string()) +
      ", but this run is " + cancel_safety_name(verdict) +
      ": after the cancellation and a retry the state is \"" + observed +
      "\", the uncancelled operation leaves \"" + expected + "\"";
  if (!retry_error.empty()) message += "; the retry threw: " + retry_error;
  require_executor("corosim::check_cancel_safety()")
      .report_failure(Checker::cancel_safety, std::move(message), SourceLoc::from(where));
}

}  // namespace detail
}  // namespace corosim
