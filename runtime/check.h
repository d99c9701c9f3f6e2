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

#define CORO_CHECK(cond)                                                                      \
  do {                                                                                        \
    if (!(cond)) ::corosim::detail::check_failed(#cond, {}, std::source_location::current()); \
  } while (false)

#define CORO_CHECK_MSG(cond, message)                                            \
  do {                                                                           \
    if (!(cond))                                                                 \
      ::corosim::detail::check_failed(#cond, message, std::source_location::current()); \
  } while (false)
