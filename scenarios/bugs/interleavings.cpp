// Bug benchmark, part 1: interleaving bugs on shared state. Each bug has a
// fixed twin that must pass every schedule. `tick()` awaits an operation that
// is already complete: a real executor would not switch there, so only a
// strategy that pre-empts (a forced suspension) interleaves at it — the
// "preemptions" a bug needs are counted at these points.
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/bugs/tick.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using corosim::bugs::tick;

// --- lost update: read, await, write -----------------------------------------
Task<void> deposit(int& balance, corosim::Mutex* lock) {
  corosim::Mutex::Guard guard;
  if (lock != nullptr) guard = co_await lock->lock();
  const int seen = balance;
  co_await tick();
  balance = seen + 10;
}

Task<void> lost_update(bool fixed) {
  int balance = 0;
  corosim::Mutex lock;
  auto a = corosim::spawn(deposit(balance, fixed ? &lock : nullptr));
  auto b = corosim::spawn(deposit(balance, fixed ? &lock : nullptr));
  co_await a;
  co_await b;
  CORO_CHECK_MSG(balance == 20, "a deposit was lost");
}

// --- check then act: two fetches of one key ----------------------------------
struct Cache {
  std::vector<int> keys;
  std::vector<int> fetching;
  int fetches = 0;
  bool has(const std::vector<int>& list, int key) const {
    for (int k : list)
      if (k == key) return true;
    return false;
  }
};

Task<void> get(Cache& cache, int key, bool fixed) {
  if (cache.has(cache.keys, key) || (fixed && cache.has(cache.fetching, key))) co_return;
  if (fixed) cache.fetching.push_back(key);  // claim before the await
  co_await tick();                           // the fetch
  ++cache.fetches;
  cache.keys.push_back(key);
}

Task<void> check_then_act(bool fixed) {
  Cache cache;
  auto a = corosim::spawn(get(cache, 7, fixed));
  auto b = corosim::spawn(get(cache, 7, fixed));
  co_await a;
  co_await b;
  CORO_CHECK_MSG(cache.fetches == 1, "the key was fetched twice");
}

// --- atomicity violation across two awaits: a transfer seen half done ---------
struct Accounts {
  int from = 100;
  int to = 0;
};

Task<void> transfer(Accounts& accounts, corosim::Mutex* lock) {
  corosim::Mutex::Guard guard;
  if (lock != nullptr) guard = co_await lock->lock();
  accounts.from -= 30;
  co_await tick();  // write the journal
  co_await tick();  // flush it
  accounts.to += 30;
}

Task<void> audit(Accounts& accounts, corosim::Mutex* lock) {
  corosim::Mutex::Guard guard;
  if (lock != nullptr) guard = co_await lock->lock();
  co_await tick();
  CORO_CHECK_MSG(accounts.from + accounts.to == 100, "the audit saw money in flight");
}

Task<void> atomicity_violation(bool fixed) {
  Accounts accounts;
  corosim::Mutex lock;
  auto t = corosim::spawn(transfer(accounts, fixed ? &lock : nullptr));
  auto a = corosim::spawn(audit(accounts, fixed ? &lock : nullptr));
  co_await t;
  co_await a;
}

// --- order violation: used before it is initialised --------------------------
Task<void> initialise(int& config, corosim::Event& ready) {
  co_await tick();  // load it
  config = 42;
  ready.set();
}

Task<void> use_config(const int& config, corosim::Event* ready) {
  if (ready != nullptr) co_await ready->wait();
  co_await tick();
  CORO_CHECK_MSG(config == 42, "the configuration was read before it was set");
}

Task<void> order_violation(bool fixed) {
  int config = 0;
  corosim::Event ready;
  auto init = corosim::spawn(initialise(config, ready));
  auto user = corosim::spawn(use_config(config, fixed ? &ready : nullptr));
  co_await init;
  co_await user;
}

// --- a bug that needs 2 (or 3) pre-emptions ------------------------------------
// The writer moves through stages 1, 2, 3 with ticks between, and lets the
// reader start after stage 1; the reader looks twice with a tick between.
// Seeing (1, 3) needs the writer pre-empted after stage 1 and the reader
// pre-empted between its looks: 2 pre-emptions. Seeing (1, 2) also needs the
// writer pre-empted again after stage 2: 3. The fixed twins publish the last
// stage at once.
Task<void> writer(int& stage, corosim::Event& started, bool atomic) {
  if (atomic) {
    stage = 3;
    started.set();
    co_return;
  }
  stage = 1;
  started.set();
  co_await tick();
  stage = 2;
  co_await tick();
  stage = 3;
}

Task<void> reader(const int& stage, corosim::Event& started, int first, int second) {
  co_await started.wait();
  const int seen_first = stage;
  co_await tick();
  const int seen_second = stage;
  CORO_CHECK_MSG(!(seen_first == first && seen_second == second), "the reader saw a torn sequence of stages");
}

Task<void> preemptions(bool fixed, int first, int second) {
  int stage = 0;
  corosim::Event started;
  auto w = corosim::spawn(writer(stage, started, fixed));
  auto r = corosim::spawn(reader(stage, started, first, second));
  co_await w;
  co_await r;
}

// --- a deadline that one particular latency breaks -----------------------------
// A client writes through a replica whose apply takes a random 0..9 ms of
// network delay, while a worker does its own steps; a reader trusts "a
// write is applied within 8 ms" and reads at 8 ms. Only the slowest delay
// breaks it: the race needs random() to return 9, not a schedule. The fixed
// reader waits for the apply's acknowledgement.
Task<void> background_work(int& done) {
  for (int i = 0; i < 3; ++i) co_await tick();
  ++done;
}

Task<void> apply_after_delay(int& value, corosim::Event& applied) {
  co_await corosim::sleep_for(std::chrono::milliseconds(corosim::random(10)));
  value = 1;
  applied.set();
}

Task<void> read_at_deadline(const int& value, corosim::Event& applied, bool fixed) {
  if (fixed) {
    co_await applied.wait();
  } else {
    co_await corosim::sleep_for(std::chrono::milliseconds(8));
  }
  CORO_CHECK_MSG(value == 1, "the reader saw the write unapplied: its delay outlasted the deadline");
}

Task<void> slow_apply(bool fixed) {
  int value = 0;
  int done = 0;
  corosim::Event applied;
  auto apply = corosim::spawn(apply_after_delay(value, applied));
  auto first = corosim::spawn(background_work(done));
  auto read = corosim::spawn(read_at_deadline(value, applied, fixed));
  co_await apply;
  co_await first;
  co_await read;
}

}  // namespace

CORO_SCENARIO("bugs/lost_update", corosim::fails_with(corosim::Checker::check)) {
  co_await lost_update(false);
}
CORO_SCENARIO("bugs/lost_update_fixed", corosim::passes()) { co_await lost_update(true); }
CORO_SCENARIO("bugs/check_then_act", corosim::fails_with(corosim::Checker::check)) {
  co_await check_then_act(false);
}
CORO_SCENARIO("bugs/check_then_act_fixed", corosim::passes()) { co_await check_then_act(true); }
CORO_SCENARIO("bugs/atomicity_violation", corosim::fails_with(corosim::Checker::check)) {
  co_await atomicity_violation(false);
}
CORO_SCENARIO("bugs/atomicity_violation_fixed", corosim::passes()) { co_await atomicity_violation(true); }
CORO_SCENARIO("bugs/order_violation", corosim::fails_with(corosim::Checker::check)) {
  co_await order_violation(false);
}
CORO_SCENARIO("bugs/order_violation_fixed", corosim::passes()) { co_await order_violation(true); }
CORO_SCENARIO("bugs/two_preemptions", corosim::fails_with(corosim::Checker::check)) {
  co_await preemptions(false, 1, 3);
}
CORO_SCENARIO("bugs/two_preemptions_fixed", corosim::passes()) { co_await preemptions(true, 1, 3); }
CORO_SCENARIO("bugs/three_preemptions", corosim::fails_with(corosim::Checker::check)) {
  co_await preemptions(false, 1, 2);
}
CORO_SCENARIO("bugs/three_preemptions_fixed", corosim::passes()) { co_await preemptions(true, 1, 2); }
CORO_SCENARIO("bugs/slow_apply", corosim::fails_with(corosim::Checker::check)) { co_await slow_apply(false); }
CORO_SCENARIO("bugs/slow_apply_fixed", corosim::passes()) { co_await slow_apply(true); }
