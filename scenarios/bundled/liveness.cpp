// Cancellation liveness: a user-written race combinator that asks its losing
// arm to stop and then joins it. The arm has to honour the request; one that
// ignores it hangs the combinator — on an event that never comes (today's
// "deadlock") or on a one-hour backoff timer (no failure at all, the hour
// just passes in virtual time). The cancel-liveness checker reports both,
// naming the wait. The fixed twins wake their wait from a stop callback.
#include <chrono>
#include <optional>
#include <stop_token>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using namespace std::chrono_literals;

// The first of two arms to finish gives the answer; the other is asked to
// stop and joined, so no work outlives the call.
struct Race {
  std::optional<int> answer;
  corosim::Event decided;
};

Task<void> arm(Race& race, Task<int> work) {
  const int value = co_await std::move(work);
  if (!race.answer) race.answer = value;
  race.decided.set();
}

Task<int> first_of(Task<int> a, Task<int> b) {
  Race race;
  auto first = corosim::spawn(arm(race, std::move(a)));
  auto second = corosim::spawn(arm(race, std::move(b)));
  co_await race.decided.wait();
  first.request_stop();
  second.request_stop();
  co_await first;
  co_await second;
  co_return *race.answer;
}

Task<int> fetch_cached() {
  co_await corosim::sleep_for(5ms);
  co_return 7;
}

// Waits for a configuration push that never comes in this run.
Task<int> await_push(corosim::Event& pushed, bool honours_stop) {
  if (honours_stop) {
    std::stop_callback wake(co_await corosim::this_stop_token(), [&] { pushed.set(); });
    co_await pushed.wait();
  } else {
    co_await pushed.wait();
  }
  co_return 8;
}

// Retries after a long backoff.
Task<int> retry_after_backoff(bool honours_stop) {
  if (honours_stop) {
    // The hour in slices, looking at the token between them.
    const std::stop_token token = co_await corosim::this_stop_token();
    for (int slice = 0; slice < 36'000 && !token.stop_requested(); ++slice)
      co_await corosim::sleep_for(100ms);
  } else {
    co_await corosim::sleep_for(1h);
  }
  co_return 9;
}

Task<void> lookup_racing_push(bool honours_stop) {
  corosim::Event pushed;
  const int value = co_await first_of(fetch_cached(), await_push(pushed, honours_stop));
  CORO_CHECK_MSG(value == 7, "the cached value answers first");
}

Task<void> lookup_racing_retry(bool honours_stop) {
  const int value = co_await first_of(fetch_cached(), retry_after_backoff(honours_stop));
  CORO_CHECK_MSG(value == 7, "the cached value answers first");
  CORO_CHECK_MSG(corosim::now() < std::chrono::minutes(1), "the lookup took the backoff's hour");
}

}  // namespace

CORO_SCENARIO("liveness/ignored_stop_event", corosim::fails_with(corosim::Checker::cancel_liveness)) {
  co_await lookup_racing_push(false);
}
CORO_SCENARIO("liveness/ignored_stop_event_fixed", corosim::passes()) { co_await lookup_racing_push(true); }
CORO_SCENARIO("liveness/ignored_stop_timer", corosim::fails_with(corosim::Checker::cancel_liveness)) {
  co_await lookup_racing_retry(false);
}
CORO_SCENARIO("liveness/ignored_stop_timer_fixed", corosim::passes()) { co_await lookup_racing_retry(true); }
