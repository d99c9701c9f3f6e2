// The seed's starved-control-flow stories.
//
// buffered/starvation: a loop over buffered(queries, 3) whose body awaits a
// slow upload. In Rust — and in corosim's poll-driven combinators — the
// queries in flight run only while the loop awaits the stream, so during each
// upload they sit ready and unpolled; the database closes their idle
// connections. The snooze checker reports the first query left ready for
// longer than its bound, and names what the loop was awaiting instead. The
// fix runs the queries as fibers of their own (buffered_spawned).
//
// futurelock/mutex: a future borrowed into select queues for a fair mutex;
// the other arm wins, and the loop body then awaits the same mutex. The mutex
// is handed to the borrowed future, which nobody polls, so the owner waits on
// its own sub-future (Oxide's "futurelock"). The fix lets that future
// progress on its own (Polling::spawned).
#include <chrono>
#include <optional>
#include <stdexcept>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using namespace std::chrono_literals;

constexpr auto kRoundTrip = 20ms;
// The server closes a connection idle for longer than this between two round
// trips of one query.
constexpr auto kIdleTimeout = 1s;
constexpr auto kUpload = 2s;
constexpr int kQueries = 6;

// Two round trips on one connection; between them the connection is idle
// until the client polls the query again.
Task<int> query(int id) {
  co_await corosim::sleep_for(kRoundTrip);
  const corosim::Duration idle_since = corosim::now();
  co_await corosim::sleep_for(kRoundTrip * (1 + id % 2));
  if (corosim::now() - idle_since > kIdleTimeout + kRoundTrip * 2) {
    throw std::runtime_error("the server closed the idle connection of query " + std::to_string(id));
  }
  co_return id * 10;
}

corosim::Stream<Task<int>> queries() {
  for (int id = 0; id < kQueries; ++id) co_yield query(id);
}

template <class Rows>
Task<void> upload_all(Rows& rows) {
  int sum = 0;
  int count = 0;
  while (std::optional<int> row = co_await rows.next()) {
    sum += *row;
    ++count;
    co_await corosim::sleep_for(kUpload);  // the slow body
  }
  CORO_CHECK(count == kQueries);
  CORO_CHECK(sum == 10 * (kQueries * (kQueries - 1) / 2));
}

Task<void> nap(corosim::Duration duration) { co_await corosim::sleep_for(duration); }

Task<void> take_and_count(corosim::Mutex& lock, int& counter) {
  auto guard = co_await lock.lock();
  ++counter;
}

Task<void> hold_for(corosim::Mutex& lock, corosim::Duration duration) {
  auto guard = co_await lock.lock();
  co_await corosim::sleep_for(duration);
}

// A background task holds the lock; a future borrowed into select queues for
// it; the timer arm wins; then the body takes the lock itself.
Task<void> lock_after_select(corosim::Polling polling) {
  corosim::Mutex lock;
  int counter = 0;
  auto background = corosim::spawn(hold_for(lock, 10ms));
  co_await corosim::sleep_for(1ms);  // the background task has the lock
  corosim::Pollable<void> first(take_and_count(lock, counter), polling);
  auto winner = co_await corosim::select(first, nap(5ms));
  CORO_CHECK(winner.index() == 1);  // the lock is still held at 6ms
  co_await take_and_count(lock, counter);
  co_await first;
  co_await background;
  CORO_CHECK(counter == 2);
}

}  // namespace

CORO_SCENARIO("buffered/starvation", corosim::fails_with(corosim::Checker::snooze)) {
  auto rows = corosim::buffered(queries(), 3);
  co_await upload_all(rows);
}

CORO_SCENARIO("buffered/starvation_spawned", corosim::passes()) {
  auto rows = corosim::buffered_spawned(queries(), 3);
  co_await upload_all(rows);
}

CORO_SCENARIO("futurelock/mutex", corosim::fails_with(corosim::Checker::futurelock)) {
  co_await lock_after_select(corosim::Polling::driven);
}

CORO_SCENARIO("futurelock/mutex_spawned", corosim::passes()) {
  co_await lock_after_select(corosim::Polling::spawned);
}
