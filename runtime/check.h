// User checks and data randomness inside a run.
//
// CORO_CHECK(cond) and CORO_CHECK_MSG(cond, message): if cond is false, the
// run fails with the "check" checker, the file:line of the check and the
// message; the run stops at the end of the current step (code after the check
// still runs until the fiber next parks).
//
// corosim::random(bound): a value in [0, bound) — a recorded decision under the
// simulator, so a run with the same seed draws the same values.
#pragma once

#include <cstdint>
#include <source_location>
#include <string>

namespace corosim {

std::uint64_t random(std::uint64_t bound);

namespace detail {
void check_failed(const char* expression, const std::string& message,
                  const std::source_location& where);
}  // namespace detail

}  // namespace corosim

// The condition is evaluated into a variable before the `if`: g++ 12
// miscompiles a coroutine whose `if` condition awaits a temporary Task
// (`if (co_await task() == x)`): the body does not run at all. Binding first
// avoids it, so CORO_CHECK(co_await op() == 42) is safe.
#define CORO_CHECK(cond)                                                                 \
  do {                                                                                   \
    const bool corosim_check_passed_ = static_cast<bool>(cond);                          \
    if (!corosim_check_passed_)                                                          \
      ::corosim::detail::check_failed(#cond, {}, std::source_location::current());       \
  } while (false)

#define CORO_CHECK_MSG(cond, message)                                                    \
  do {                                                                                   \
    const bool corosim_check_passed_ = static_cast<bool>(cond);                          \
    if (!corosim_check_passed_)                                                          \
      ::corosim::detail::check_failed(#cond, message, std::source_location::current());  \
  } while (false)
