// The fiber's stop token, for code (and other libraries' awaitables) that
// observe cancellation requests.
//
//   std::stop_token token = co_await corosim::this_stop_token();
//   std::stop_callback on_stop(token, [&] { connection.abort(); });
//
// Contract: the token belongs to the running fiber; the simulator requests it
// when it injects the `stop` mode of cancellation (docs/cancellation.md), and
// stop callbacks run then, on the injecting step. Awaiting this_stop_token()
// never suspends and is not a suspension point.
#pragma once

#include <coroutine>
#include <stop_token>

#include "corosim/executor/fiber.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

namespace detail {
struct [[nodiscard]] StopTokenAwaiter {
  static constexpr bool corosim_point = false;
  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  std::stop_token await_resume() const {
    return fiber_stop_token(running_fiber("this_stop_token()"));
  }
};
}  // namespace detail

inline detail::StopTokenAwaiter this_stop_token() noexcept { return {}; }

}  // namespace corosim
