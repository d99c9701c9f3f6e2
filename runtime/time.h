// Time: now(), sleep_for(), sleep_until(), yield_now().
//
// Under the simulator time is virtual (nanoseconds since the run began) and
// jumps to the next timer when no fiber is ready; on the real-time loop it is
// steady_clock time since the loop began.
//
// Contract:
// - sleep_*: the sleeper is woken by the executor once the deadline has
//   passed and resumed on a later step. Timers with equal deadlines fire in an
//   order the executor chooses (a decision under the simulator). A deadline
//   already passed completes without parking. Cancel-safety: total (the timer
//   is cancelled when the awaiter is destroyed).
// - yield_now: always parks; the fiber is ready again at once.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <source_location>

#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"

namespace corosim {

using Duration = std::chrono::nanoseconds;

// Time since the run (or event loop) began. `where` names the caller in the
// UsageError thrown outside any executor.
Duration now(std::source_location where = std::source_location::current());

namespace detail {

class [[nodiscard]] SleepAwaiter {
 public:
  static constexpr const char* corosim_what = "sleep";
  explicit SleepAwaiter(Duration deadline) noexcept {
    node_.deadline_ns = static_cast<std::uint64_t>(deadline.count() < 0 ? 0 : deadline.count());
  }
  SleepAwaiter(const SleepAwaiter&) = delete;
  ~SleepAwaiter();

  bool await_ready() const;
  void await_suspend(std::coroutine_handle<>);
  void await_resume() const noexcept {}

 private:
  TimerNode node_;
};

class [[nodiscard]] YieldAwaiter {
 public:
  static constexpr const char* corosim_what = "yield";
  static constexpr bool corosim_yield = true;  // always parks as ready
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const;
  void await_resume() const noexcept {}
};

}  // namespace detail

inline detail::SleepAwaiter sleep_until(Duration deadline) { return detail::SleepAwaiter(deadline); }

template <class Rep, class Period>
detail::SleepAwaiter sleep_for(std::chrono::duration<Rep, Period> delay,
                               std::source_location where = std::source_location::current()) {
  return detail::SleepAwaiter(now(where) + std::chrono::duration_cast<Duration>(delay));
}

inline detail::YieldAwaiter yield_now() noexcept { return {}; }

}  // namespace corosim
