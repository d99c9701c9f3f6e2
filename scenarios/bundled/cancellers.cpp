// Cancellers: pairs of programs explored with cancellation on by default.
// Each fixed twin is a correct program that an injector cancelling "anything
// with an owner" would fail (a joined worker, both arms of a select in main, a
// combinator's internal arm, an operation under a timeout); each buggy twin
// has a real cancellation bug that only a canceller of its own program
// exposes. docs/cancellation.md explains the model.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using namespace std::chrono_literals;

// --- an owner that gives up --------------------------------------------------

struct Bank {
  int from = 100;
  int to = 0;
};

// Debits, waits for the ledger, credits: not cancel safe.
Task<void> transfer(Bank& bank) {
  bank.from -= 10;
  co_await corosim::sleep_for(2ms);
  bank.to += 10;
}

// Debits and credits in one step after the wait: cancel safe.
Task<void> transfer_atomic(Bank& bank) {
  co_await corosim::sleep_for(2ms);
  bank.from -= 10;
  bank.to += 10;
}

// The client gives up on a transfer still running after 5ms: its owner drops
// it. Nothing is lost if the transfer finished, or never debited.
Task<void> impatient_client(Task<void> (*operation)(Bank&)) {
  Bank bank;
  auto worker = corosim::spawn(operation(bank));
  co_await corosim::sleep_for(5ms);
  if (worker.is_finished()) {
    co_await worker;
  } else {
    worker.cancel();
  }
  CORO_CHECK_MSG(bank.from + bank.to == 100, "money was lost: " + std::to_string(bank.from + bank.to));
}

// --- a select of two receives in main ----------------------------------------

Task<std::optional<int>> receive(corosim::Receiver<int>& in) { co_return co_await in.recv(); }

// Logs what it received before handing it on: the item lives in this frame
// while the log is written, and a lost race drops it.
Task<std::optional<int>> receive_logged(corosim::Receiver<int>& in, std::vector<int>& log) {
  std::optional<int> item = co_await in.recv();
  co_await corosim::sleep_for(1ms);  // the log write
  if (item) log.push_back(*item);
  co_return item;
}

Task<void> produce(corosim::Sender<int> out, int first, std::chrono::milliseconds gap) {
  for (int i = first; i < first + 5; ++i) {
    co_await corosim::sleep_for(gap);
    co_await out.send(i);
  }
}

template <class Arm>
Task<void> merge_two(Arm arm) {
  auto [tx_a, rx_a] = corosim::channel<int>(2);
  auto [tx_b, rx_b] = corosim::channel<int>(2);
  auto a = corosim::spawn(produce(std::move(tx_a), 0, 1ms));
  auto b = corosim::spawn(produce(std::move(tx_b), 100, 2ms));
  std::vector<int> received;
  bool a_open = true;
  bool b_open = true;
  while (a_open && b_open) {
    auto got = co_await corosim::select(arm(rx_a), arm(rx_b));
    std::optional<int> item = got.index() == 0 ? std::get<0>(got) : std::get<1>(got);
    if (item) {
      received.push_back(*item);
    } else {
      (got.index() == 0 ? a_open : b_open) = false;
    }
  }
  while (a_open) {
    std::optional<int> item = co_await rx_a.recv();
    if (!item) break;
    received.push_back(*item);
  }
  while (b_open) {
    std::optional<int> item = co_await rx_b.recv();
    if (!item) break;
    received.push_back(*item);
  }
  co_await a;
  co_await b;
  CORO_CHECK_MSG(received.size() == 10, "received " + std::to_string(received.size()) + " of 10 items");
}

// --- a combinator that watches a stop request on an internal arm -------------

// Runs op until it finishes or stop is set: a user-written race whose second
// arm only watches the stop event.
template <class T>
Task<bool> until_stopped(Task<T> op, corosim::Event& stop) {
  auto watch = [](corosim::Event& event) -> Task<void> { co_await event.wait(); };
  auto result = co_await corosim::select(std::move(op), watch(stop));
  co_return result.index() == 0;
}

struct Queue {
  std::vector<int> pending{1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<int> done;
};

// Takes each job and commits it in the same step after the work: a stop
// between jobs or during the work loses nothing.
Task<void> drain_committing(Queue& queue) {
  while (!queue.pending.empty()) {
    co_await corosim::sleep_for(1ms);  // the work
    queue.done.push_back(queue.pending.front());
    queue.pending.erase(queue.pending.begin());
  }
}

// Takes the job first, then works: a stop during the work loses the job.
Task<void> drain_taking_first(Queue& queue) {
  while (!queue.pending.empty()) {
    const int job = queue.pending.front();
    queue.pending.erase(queue.pending.begin());
    co_await corosim::sleep_for(1ms);  // the work
    queue.done.push_back(job);
  }
}

Task<void> stoppable_drain(Task<void> (*drain)(Queue&)) {
  Queue queue;
  corosim::Event stop;
  auto stopper = corosim::spawn([&stop]() -> Task<void> {
    co_await corosim::sleep_for(4500us);  // while the fifth job is being worked on
    stop.set();
  });
  co_await until_stopped(drain(queue), stop);
  co_await stopper;
  // Each check on one line: a macro call spanning lines reports a different
  // line under g++ and clang, and the trace hashes must agree.
  const std::size_t kept = queue.done.size() + queue.pending.size();
  CORO_CHECK_MSG(kept == 8, "jobs lost: " + std::to_string(8 - kept));
}

// --- an operation under a timeout, whose invariant is about data -------------

struct Record {
  std::string name = "alpha";
  std::size_t length = 5;  // always name.size()
};

// Fetches the new name, then assigns both fields in one step.
Task<void> rename_atomic(Record& record) {
  co_await corosim::sleep_for(1ms);  // fetch
  std::string name = "beta-" + std::to_string(record.length);
  co_await corosim::sleep_for(1ms);  // validate
  record.name = name;
  record.length = name.size();
}

// Assigns the name, logs, then the length: torn if cut in between.
Task<void> rename_torn(Record& record) {
  co_await corosim::sleep_for(1ms);  // fetch
  record.name = "beta-" + std::to_string(record.length);
  co_await corosim::sleep_for(1ms);  // the audit log
  record.length = record.name.size();
}

Task<void> rename_with_deadline(Task<void> (*rename)(Record&)) {
  Record record;
  for (int round = 0; round < 3; ++round) {
    co_await corosim::timeout(50ms, rename(record));
    const std::string torn =
        "torn record: name '" + record.name + "' with length " + std::to_string(record.length);
    CORO_CHECK_MSG(record.length == record.name.size(), torn);
  }
}

// --- a worker pool -----------------------------------------------------------

struct Jobs {
  std::vector<int> queue{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int> results;
};

Task<void> worker(Jobs& jobs) {
  while (!jobs.queue.empty()) {
    const int job = jobs.queue.back();
    jobs.queue.pop_back();
    co_await corosim::sleep_for(1ms);  // the work
    jobs.results.push_back(job);
  }
}

// Joins the pool: every job is done.
Task<void> pool_joined() {
  Jobs jobs;
  corosim::TaskScope pool;
  for (int i = 0; i < 3; ++i) pool.spawn(worker(jobs));
  co_await pool.join();
  const std::size_t finished = jobs.results.size();
  CORO_CHECK_MSG(finished == 10, "finished " + std::to_string(finished) + " of 10 jobs");
}

// Gives the pool 20ms, then cancels it and reports every job done anyway.
Task<void> pool_deadline() {
  Jobs jobs;
  corosim::TaskScope pool;
  for (int i = 0; i < 3; ++i) pool.spawn(worker(jobs));
  auto join = [](corosim::TaskScope& scope) -> Task<void> { co_await scope.join(); };
  if (const bool joined = co_await corosim::timeout(20ms, join(pool)); !joined) pool.cancel();
  const std::size_t finished = jobs.results.size();
  CORO_CHECK_MSG(finished == 10, "finished " + std::to_string(finished) + " of 10 jobs");
}

// --- a request handler that a client may abandon -----------------------------

struct Server {
  corosim::Semaphore slots{2};
  int served = 0;
};

// Holds its slot as a Permit: given back however the handler ends.
Task<void> handle_guarded(Server& server) {
  auto permit = co_await server.slots.acquire();
  co_await corosim::sleep_for(1ms);  // the response
  ++server.served;
}

// Takes and gives back its slot by hand: a client that disconnects during
// the response leaks it.
Task<void> handle_by_hand(Server& server) {
  for (int tries = 0; !server.slots.try_acquire(); ++tries) {
    if (tries == 50) co_return;  // busy: the client is told to retry later
    co_await corosim::sleep_for(1ms);
  }
  co_await corosim::sleep_for(1ms);  // the response
  ++server.served;
  server.slots.release();
}

Task<void> serve(Task<void> (*handle)(Server&)) {
  Server server;
  corosim::TaskScope requests;
  for (int i = 0; i < 4; ++i) {
    // The client may disconnect at any point: a declared external canceller.
    requests.spawn([&server, handle]() -> Task<void> { co_await corosim::cancellable(handle(server)); });
  }
  co_await requests.join();
  const std::size_t leaked = 2 - server.slots.available();
  CORO_CHECK_MSG(leaked == 0, std::to_string(leaked) + " connection slot(s) leaked");
}

}  // namespace

CORO_SCENARIO("cancellers/owner_gives_up", corosim::fails_with(corosim::Checker::check)) {
  co_await impatient_client(transfer);
}
CORO_SCENARIO("cancellers/owner_gives_up_fixed", corosim::passes()) {
  co_await impatient_client(transfer_atomic);
}

CORO_SCENARIO("cancellers/select_receives", corosim::fails_with(corosim::Checker::check)) {
  std::vector<int> log;
  co_await merge_two([&log](corosim::Receiver<int>& in) { return receive_logged(in, log); });
}
CORO_SCENARIO("cancellers/select_receives_fixed", corosim::passes()) {
  co_await merge_two([](corosim::Receiver<int>& in) { return receive(in); });
}

CORO_SCENARIO("cancellers/stop_watch", corosim::fails_with(corosim::Checker::check)) {
  co_await stoppable_drain(drain_taking_first);
}
CORO_SCENARIO("cancellers/stop_watch_fixed", corosim::passes()) {
  co_await stoppable_drain(drain_committing);
}

CORO_SCENARIO("cancellers/timeout_torn_record", corosim::fails_with(corosim::Checker::check)) {
  co_await rename_with_deadline(rename_torn);
}
CORO_SCENARIO("cancellers/timeout_torn_record_fixed", corosim::passes()) {
  co_await rename_with_deadline(rename_atomic);
}

CORO_SCENARIO("cancellers/worker_pool", corosim::fails_with(corosim::Checker::check)) {
  co_await pool_deadline();
}
CORO_SCENARIO("cancellers/worker_pool_fixed", corosim::passes()) { co_await pool_joined(); }

CORO_SCENARIO("cancellers/request_handler", corosim::fails_with(corosim::Checker::check)) {
  co_await serve(handle_by_hand);
}
CORO_SCENARIO("cancellers/request_handler_fixed", corosim::passes()) { co_await serve(handle_guarded); }
