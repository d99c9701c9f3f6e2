#include "corosim/runtime/check.h"

#include <stdexcept>

#include "corosim/executor/executor.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

using detail::require_executor;

std::uint64_t random(std::uint64_t bound) {
  Executor& executor = require_executor("corosim::random()");
  if (bound == 0) throw UsageError("corosim::random(0): the bound must be at least 1");
  return executor.random_below(bound);
}

namespace detail {

void check_failed(const char* expression, const std::string& message, const std::source_location& where) {
  std::string text = std::string("CORO_CHECK(") + expression + ") failed";
  if (!message.empty()) text += ": " + message;
  Executor* executor = current_executor();
  if (executor == nullptr) throw std::logic_error(text + " (outside a corosim run)");
  executor->report_failure(Checker::check, text, SourceLoc::from(where));
}

}  // namespace detail
}  // namespace corosim
