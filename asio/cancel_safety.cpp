#include "corosim/asio/cancel_safety.h"

#include <asio/experimental/channel_error.hpp>

#include "corosim/executor/executor.h"
#include "corosim/runtime/usage_error.h"

namespace corosim::asio::detail {

net::cancellation_type_t types_for(CancelSafety claim) noexcept {
  switch (claim) {
    case CancelSafety::total:
      return net::cancellation_type::total | net::cancellation_type::partial |
             net::cancellation_type::terminal;
    case CancelSafety::partial: return net::cancellation_type::partial | net::cancellation_type::terminal;
    case CancelSafety::terminal:
    case CancelSafety::unsafe: break;
  }
  return net::cancellation_type::terminal;
}

CancelSafety required_for(net::cancellation_type_t type) noexcept {
  if ((type & net::cancellation_type::total) != net::cancellation_type::none) return CancelSafety::total;
  if ((type & net::cancellation_type::partial) != net::cancellation_type::none) return CancelSafety::partial;
  return CancelSafety::terminal;
}

bool is_cancellation(const std::exception_ptr& error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::system_error& e) {
    return e.code() == net::error::operation_aborted ||
           e.code() == net::experimental::error::channel_cancelled;
  } catch (...) {
  }
  return false;
}

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "an exception that is not a std::exception";
}

namespace {
const char* type_name(net::cancellation_type_t type) noexcept {
  if ((type & net::cancellation_type::total) != net::cancellation_type::none) return "total";
  if ((type & net::cancellation_type::partial) != net::cancellation_type::none) return "partial";
  return "terminal";
}
}  // namespace

void report(CancelSafety claim, net::cancellation_type_t type, CancelSafety verdict,
            const std::string& expected, const std::string& observed, const std::string& retry_error,
            const std::source_location& where) {
  std::string message = std::string("claimed ") + cancel_safety_name(claim) + " and took a " +
                        type_name(type) + " cancellation, but this run is " + cancel_safety_name(verdict) +
                        ": after the cancellation and a retry the state is \"" + observed +
                        "\", the uncancelled operation leaves \"" + expected + "\"";
  if (!retry_error.empty()) message += "; the retry threw: " + retry_error;
  Executor* executor = current_executor();
  if (executor == nullptr) throw UsageError("corosim::asio::check_cancel_safety() is for simulated runs");
  executor->report_failure(Checker::cancel_safety, std::move(message), SourceLoc::from(where));
}

}  // namespace corosim::asio::detail
