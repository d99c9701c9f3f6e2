// Tearing work down: four more cancellers pairs (docs/cancellation.md). In
// each, the program's own canceller acts only on a path most runs never
// take — an owner unwinding an exception, a scope whose sibling failed, a
// shutdown's stop request, a checkout's deadline — so the bug shows only when
// the victim is slow at the wrong point, which is what a stall explores. The
// fixed twins are correct programs an injector cancelling "anything with an
// owner" would fail: a writer its owner always joins, workers that finish
// their item on a stop request.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using namespace std::chrono_literals;

// --- an owner that unwinds: its handle drops the writer ---------------------

struct Files {
  bool data = false;
  bool index = false;  // written after data; both or neither
};

Task<void> write_both(Files& files) {
  co_await corosim::sleep_for(1ms);
  files.data = true;
  co_await corosim::sleep_for(1ms);
  files.index = true;
}

struct Invalid : std::runtime_error {
  Invalid() : std::runtime_error("the input is invalid") {}
};

Task<void> validate() {
  co_await corosim::sleep_for(4ms);
  throw Invalid();
}

// Validates while the writer runs; on an invalid input the exception leaves
// the block and the writer's handle drops it — mid-write if it was slow.
Task<void> save_unwinding() {
  Files files;
  try {
    auto writer = corosim::spawn(write_both(files));
    co_await validate();
    co_await writer;
  } catch (const Invalid&) {
  }
  CORO_CHECK_MSG(files.data == files.index, "the data was written without its index");
}

// Joins the writer on every path: it is never cancelled.
Task<void> save_joined() {
  Files files;
  auto writer = corosim::spawn(write_both(files));
  try {
    co_await validate();
  } catch (const Invalid&) {
  }
  co_await writer;
  CORO_CHECK_MSG(files.data == files.index, "the data was written without its index");
}

// --- a scope whose sibling fails: the scope cancels the rest ----------------

struct Gauge {
  int in_flight = 0;  // requests started and not ended: must return to 0
};

// Counts itself in and out by hand: a cancellation in between leaks a count.
Task<void> send_counted(Gauge& gauge) {
  for (int i = 0; i < 2; ++i) {
    ++gauge.in_flight;
    co_await corosim::sleep_for(1ms);
    --gauge.in_flight;
  }
}

// Counts itself out in a destructor, which a cancellation runs too.
Task<void> send_guarded(Gauge& gauge) {
  struct Count {
    Gauge& gauge;
    explicit Count(Gauge& g) : gauge(g) { ++gauge.in_flight; }
    ~Count() { --gauge.in_flight; }
  };
  for (int i = 0; i < 2; ++i) {
    Count count(gauge);
    co_await corosim::sleep_for(1ms);
  }
}

Task<void> refresh_config() {
  co_await corosim::sleep_for(5ms);
  throw std::runtime_error("the config server is down");
}

Task<void> fan_out(Task<void> (*send)(Gauge&)) {
  Gauge gauge;
  corosim::TaskScope requests;
  requests.spawn(send(gauge));
  requests.spawn(send(gauge));
  requests.spawn(refresh_config());
  try {
    co_await requests.join();
  } catch (const std::runtime_error&) {
  }
  CORO_CHECK_MSG(gauge.in_flight == 0, "the in-flight gauge reads " + std::to_string(gauge.in_flight));
}

// --- a graceful shutdown: stop requested, the worker joined ------------------

struct Work {
  std::vector<int> done;
};

// On a stop request, gives up the job in hand: it is neither done nor back
// in the queue.
Task<void> work_abandoning(corosim::Receiver<int>& jobs, Work& work) {
  const std::stop_token stop = co_await corosim::this_stop_token();
  while (std::optional<int> job = co_await jobs.recv()) {
    co_await corosim::sleep_for(1ms);  // the work
    if (stop.stop_requested()) co_return;
    work.done.push_back(*job);
  }
}

// Finishes the job in hand, then stops.
Task<void> work_finishing(corosim::Receiver<int>& jobs, Work& work) {
  const std::stop_token stop = co_await corosim::this_stop_token();
  while (std::optional<int> job = co_await jobs.recv()) {
    co_await corosim::sleep_for(1ms);  // the work
    work.done.push_back(*job);
    if (stop.stop_requested()) co_return;
  }
}

Task<void> shutdown(Task<void> (*worker_body)(corosim::Receiver<int>&, Work&)) {
  Work work;
  auto [tx, rx] = corosim::channel<int>(4);
  for (int job = 0; job < 4; ++job) co_await tx.send(job);
  auto worker = corosim::spawn(worker_body(rx, work));
  co_await corosim::sleep_for(10ms);  // all four take 4 ms
  tx.close();                         // no more jobs: an idle worker's recv ends
  worker.request_stop();
  co_await worker;
  // A stopped worker may leave jobs queued, never lose one.
  std::size_t queued = 0;
  while (auto job = co_await rx.recv()) ++queued;
  const std::size_t kept = work.done.size() + queued;
  CORO_CHECK_MSG(kept == 4, "jobs lost: " + std::to_string(4 - kept));
}

// --- a checkout under a deadline ---------------------------------------------

struct Pool {
  int idle = 2;
  int lent = 0;  // idle + lent stays 2
};

Task<void> ping() { co_await corosim::sleep_for(1ms); }

// Takes a connection, then pings it: a deadline during the ping loses it.
Task<bool> checkout_by_hand(Pool& pool) {
  if (pool.idle == 0) co_return false;
  --pool.idle;
  co_await ping();
  ++pool.lent;
  co_return true;
}

// Pings before taking: a deadline during the ping loses nothing.
Task<bool> checkout_after_ping(Pool& pool) {
  if (pool.idle == 0) co_return false;
  co_await ping();
  if (pool.idle == 0) co_return false;  // taken meanwhile
  --pool.idle;
  ++pool.lent;
  co_return true;
}

Task<void> handle_requests(Task<bool> (*checkout)(Pool&)) {
  Pool pool;
  for (int request = 0; request < 3; ++request) {
    const std::optional<bool> got = co_await corosim::timeout(5ms, checkout(pool));
    if (got && *got) {
      co_await corosim::sleep_for(1ms);  // the query
      --pool.lent;
      ++pool.idle;
    }
  }
  CORO_CHECK_MSG(pool.idle + pool.lent == 2,
                 "connections lost: " + std::to_string(2 - pool.idle - pool.lent));
}

}  // namespace

CORO_SCENARIO("cancellers/unwinding_owner", corosim::fails_with(corosim::Checker::check)) {
  co_await save_unwinding();
}
CORO_SCENARIO("cancellers/unwinding_owner_fixed", corosim::passes()) { co_await save_joined(); }

CORO_SCENARIO("cancellers/failed_sibling", corosim::fails_with(corosim::Checker::check)) {
  co_await fan_out(send_counted);
}
CORO_SCENARIO("cancellers/failed_sibling_fixed", corosim::passes()) { co_await fan_out(send_guarded); }

CORO_SCENARIO("cancellers/graceful_shutdown", corosim::fails_with(corosim::Checker::check)) {
  co_await shutdown(work_abandoning);
}
CORO_SCENARIO("cancellers/graceful_shutdown_fixed", corosim::passes()) { co_await shutdown(work_finishing); }

CORO_SCENARIO("cancellers/pool_checkout", corosim::fails_with(corosim::Checker::check)) {
  co_await handle_requests(checkout_by_hand);
}
CORO_SCENARIO("cancellers/pool_checkout_fixed", corosim::passes()) {
  co_await handle_requests(checkout_after_ping);
}
