// Bug benchmark, part 2: synchronisation bugs — deadlock, lost wake-up,
// double release, use after close, ring ordering, ABA — each with a fixed twin.
#include <algorithm>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/bugs/tick.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using corosim::bugs::tick;

// --- lock-order deadlock -------------------------------------------------------
Task<void> lock_both(corosim::Mutex& first, corosim::Mutex& second) {
  auto a = co_await first.lock();
  co_await tick();
  auto b = co_await second.lock();
}

Task<void> lock_order(bool fixed) {
  corosim::Mutex left;
  corosim::Mutex right;
  auto x = corosim::spawn(lock_both(left, right));
  auto y = fixed ? corosim::spawn(lock_both(left, right)) : corosim::spawn(lock_both(right, left));
  co_await x;
  co_await y;
}

// --- lost wake-up: an edge-triggered notification sent before anyone waits ----
// Buggy: edge-triggered — a notification reaches only current waiters, so one
// sent between the waiter's check and its wait is lost. Fixed: the
// notification sticks (a stored permit, like tokio's Notify).
struct Notifier {
  corosim::Event edge;
  bool ready = false;
  bool sticky = false;
  void notify() {
    ready = true;
    edge.set();
    if (!sticky) edge.reset();
  }
};

Task<void> wait_ready(Notifier& notifier) {
  if (!notifier.ready) {
    co_await tick();  // the gap between the check and the wait
    co_await notifier.edge.wait();
  }
}

Task<void> lost_wakeup(bool fixed) {
  Notifier notifier;
  notifier.sticky = fixed;
  auto waiter = corosim::spawn(wait_ready(notifier));
  auto producer = corosim::spawn([&notifier]() -> Task<void> {
    co_await tick();
    notifier.notify();
  });
  co_await producer;
  co_await waiter;
}

// --- double release of a permit -------------------------------------------------
struct Pool {
  int free = 1;
  bool reclaimed = false;
  void release() {
    ++free;
    CORO_CHECK_MSG(free <= 1, "a permit was released twice");
  }
};

Task<void> worker(Pool& pool, bool fixed) {
  --pool.free;
  co_await tick();  // the work
  if (!(fixed && pool.reclaimed)) pool.release();
}

Task<void> reaper(Pool& pool) {
  co_await tick();
  if (pool.free == 0 && !pool.reclaimed) {  // looks stuck: take the permit back
    pool.reclaimed = true;
    pool.release();
  }
}

Task<void> double_release(bool fixed) {
  Pool pool;
  auto w = corosim::spawn(worker(pool, fixed));
  auto r = corosim::spawn(reaper(pool));
  co_await w;
  co_await r;
}

// --- use after close -------------------------------------------------------------
class Connection : public corosim::AsyncResource {
 public:
  Task<void> send() {
    ensure_open();
    co_await tick();
  }
  Task<void> async_close() {
    co_await tick();
    mark_closed();
  }
};

Task<void> use_after_close(bool fixed) {
  Connection connection;
  auto user = corosim::spawn([&connection]() -> Task<void> {
    co_await tick();
    co_await connection.send();
  });
  if (fixed) co_await user;  // close only once the user is done
  co_await tick();
  co_await connection.async_close();
  if (!fixed) co_await user;
}

// --- token ring: each node must act in its turn -----------------------------------
// Node i acts once turn has reached i, then passes the turn on. The buggy
// node 2 waits for turn 1 (an off-by-one), so it may act before node 1.
Task<void> node(int id, int& turn, std::vector<int>& log, bool off_by_one) {
  while (turn < (off_by_one ? id - 1 : id)) co_await corosim::yield_now();
  log.push_back(id);
  co_await tick();
  ++turn;
}

Task<void> token_ring(bool fixed) {
  int turn = 0;
  std::vector<int> log;
  std::vector<corosim::JoinHandle<void>> nodes;
  for (int id = 0; id < 4; ++id) nodes.push_back(corosim::spawn(node(id, turn, log, !fixed && id == 2)));
  for (auto& n : nodes) co_await n;
  CORO_CHECK_MSG(std::is_sorted(log.begin(), log.end()), "a node acted out of turn");
}

// --- ABA on a pooled free list ------------------------------------------------------
// A free list of node indices with a compare-and-set on its head. The popper
// reads head and head's next, is pre-empted, and meanwhile another fiber
// pops two nodes and pushes the first back: head is the same index again, so
// the CAS succeeds and installs a node that is in use. The fix tags the head
// with a version that every change bumps.
struct FreeList {
  std::vector<int> next;
  int head = 0;
  unsigned version = 0;
  std::vector<bool> in_use;
};

Task<int> pop(FreeList& list, bool tagged) {
  for (;;) {
    const int old = list.head;
    const unsigned old_version = list.version;
    const int following = list.next[static_cast<std::size_t>(old)];
    co_await tick();
    if (list.head == old && (!tagged || list.version == old_version)) {
      list.head = following;
      ++list.version;
      list.in_use[static_cast<std::size_t>(old)] = true;
      co_return old;
    }
  }
}

void push(FreeList& list, int index) {
  list.in_use[static_cast<std::size_t>(index)] = false;
  list.next[static_cast<std::size_t>(index)] = list.head;
  list.head = index;
  ++list.version;
}

void pop_now(FreeList& list, int& out) {
  out = list.head;
  list.head = list.next[static_cast<std::size_t>(out)];
  ++list.version;
  list.in_use[static_cast<std::size_t>(out)] = true;
}

Task<void> aba(bool fixed) {
  FreeList list;
  list.next = {1, 2, -1};
  list.in_use = {false, false, false};
  auto popper = corosim::spawn(pop(list, fixed));
  auto other = corosim::spawn([&list]() -> Task<void> {
    int first = 0;
    int second = 0;
    pop_now(list, first);
    pop_now(list, second);
    co_await tick();
    push(list, first);  // the first node comes back: head is index 0 again
  });
  const int got = co_await popper;
  co_await other;
  const bool head_free = list.head < 0 || !list.in_use[static_cast<std::size_t>(list.head)];
  CORO_CHECK_MSG(head_free, "the free list's head is a node in use (ABA)");  // one line: see docs/fuzzing.md
  (void)got;
}

}  // namespace

CORO_SCENARIO("bugs/lock_order", corosim::fails_with(corosim::Checker::deadlock)) { co_await lock_order(false); }
CORO_SCENARIO("bugs/lock_order_fixed", corosim::passes()) { co_await lock_order(true); }
CORO_SCENARIO("bugs/lost_wakeup", corosim::fails_with(corosim::Checker::deadlock)) { co_await lost_wakeup(false); }
CORO_SCENARIO("bugs/lost_wakeup_fixed", corosim::passes()) { co_await lost_wakeup(true); }
CORO_SCENARIO("bugs/double_release", corosim::fails_with(corosim::Checker::check)) { co_await double_release(false); }
CORO_SCENARIO("bugs/double_release_fixed", corosim::passes()) { co_await double_release(true); }
CORO_SCENARIO("bugs/use_after_close", corosim::fails_with(corosim::Checker::use_after_close)) { co_await use_after_close(false); }
CORO_SCENARIO("bugs/use_after_close_fixed", corosim::passes()) { co_await use_after_close(true); }
CORO_SCENARIO("bugs/token_ring", corosim::fails_with(corosim::Checker::check)) { co_await token_ring(false); }
CORO_SCENARIO("bugs/token_ring_fixed", corosim::passes()) { co_await token_ring(true); }
CORO_SCENARIO("bugs/aba", corosim::fails_with(corosim::Checker::check)) { co_await aba(false); }
CORO_SCENARIO("bugs/aba_fixed", corosim::passes()) { co_await aba(true); }

// Canaries: a benchmark that cannot find the first or that flags the second
// is broken, not the strategies.
CORO_SCENARIO("bugs/canary_always_fails", corosim::fails_with(corosim::Checker::check)) {
  co_await tick();
  CORO_CHECK_MSG(false, "the canary always fails");
}
CORO_SCENARIO("bugs/canary_never_fails", corosim::passes()) {
  int sum = 0;
  auto a = corosim::spawn([&sum]() -> Task<void> {
    co_await tick();
    ++sum;
  });
  co_await a;
  CORO_CHECK(sum == 1);
}
