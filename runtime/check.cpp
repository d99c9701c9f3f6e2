#include "runtime/check.h"

#include <cassert>
#include <stdexcept>

#include "runtime/executor.h"

namespace corosim {

std::uint64_t random(std::uint64_t bound) {
  Executor* executor = current_executor();
  assert(executor != nullptr && "corosim::random() called outside a corosim executor");
  assert(bound > 0);
  return executor->random_below(bound);
}

namespace detail {

void check_failed(const char* expression, const std::string& message,
                  const std::source_location& where) {
  std::string text = std::string("CORO_CHECK(") + expression + ") failed";
  if (!message.empty()) text += ": " + message;
  Executor* executor = current_executor();
  if (executor == nullptr) throw std::logic_error(text + " (outside a corosim run)");
  executor->report_failure("check", text, SourceLoc::from(where));
}

}  // namespace detail
}  // namespace corosim
