// SCTBench CS benchmarks, part 1: programs whose threads meet at mutexes —
// deadlock01, carter01, lazy01, account, wronglock, wronglock_3, twostage,
// twostage_100, fsbench. Ported by the rule in port.h; each with a fixed twin.
#include <array>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"
#include "corosim/scenarios/sctbench/port.h"

namespace {

using corosim::JoinHandle;
using corosim::Mutex;
using corosim::Task;
using corosim::sctbench::point;
using corosim::sctbench::Shared;
using corosim::sctbench::unlock;

Task<void> join_all(std::vector<JoinHandle<void>>& threads) {
  for (JoinHandle<void>& thread : threads) co_await thread;
}

// --- deadlock01: two locks taken in opposite orders ------------------------------
// Fixed: both threads take a before b.
Task<void> lock_both_and_add(Mutex& first, Mutex& second, Shared<int>& counter, int delta) {
  auto outer = co_await first.lock();
  auto inner = co_await second.lock();
  const int value = co_await counter.load();
  co_await counter.store(value + delta);
  co_await unlock(inner);
  co_await unlock(outer);
}

Task<void> deadlock01(bool fixed) {
  Mutex a;
  Mutex b;
  Shared<int> counter(1);
  auto t1 = corosim::spawn(lock_both_and_add(a, b, counter, 1));
  co_await point();
  auto t2 = fixed ? corosim::spawn(lock_both_and_add(a, b, counter, -1))
                  : corosim::spawn(lock_both_and_add(b, a, counter, -1));
  co_await point();
  co_await t1;
  co_await t2;
}

// --- carter01: the first one in takes a second lock while holding the first --------
// Each thread counts itself in under m, and the first in (count 0 -> 1) takes
// l while still holding m; the last out releases l. With a count per thread,
// both may be "first": one waits for l holding m while the other needs m to
// release l. Fixed: one count for both (readers-writer style), so l is taken
// only when nobody holds it. l is a binary semaphore: in the twin the last
// one out may release what the first one in took.
struct Carter {
  Mutex m;
  corosim::Semaphore l{1};
  Shared<int> a;
  Shared<int> b;
  corosim::Semaphore::Permit held_a;
  corosim::Semaphore::Permit held_b;
};

Task<void> carter_thread(Carter& carter, Shared<int>& count, corosim::Semaphore::Permit& held) {
  {
    auto guard = co_await carter.m.lock();
    const int in = co_await count.load() + 1;
    co_await count.store(in);
    if (in == 1) held = co_await carter.l.acquire();
    co_await unlock(guard);
  }
  auto guard = co_await carter.m.lock();
  const int out = co_await count.load() - 1;
  co_await count.store(out);
  if (out == 0) {
    co_await corosim::sctbench::point_on(carter.l.id());
    held.release();
  }
  co_await unlock(guard);
}

Task<void> idle_thread() { co_return; }

Task<void> carter01(bool fixed) {
  Carter carter;
  auto a1 = corosim::spawn(carter_thread(carter, carter.a, carter.held_a));
  co_await point();
  auto b1 = fixed ? corosim::spawn(carter_thread(carter, carter.a, carter.held_a))
                  : corosim::spawn(carter_thread(carter, carter.b, carter.held_b));
  co_await point();
  auto a2 = corosim::spawn(idle_thread());
  co_await point();
  auto b2 = corosim::spawn(idle_thread());
  co_await point();
  co_await a1;
  co_await b1;
  co_await a2;
  co_await b2;
}

// --- lazy01: a checker that assumes it runs before both writers ---------------------
// Fixed: the check states what holds in every order (data never exceeds 3);
// SCTBench's lazy01_ok drops the assertion.
Task<void> add_locked(Mutex& mutex, Shared<int>& data, int amount) {
  auto guard = co_await mutex.lock();
  const int value = co_await data.load();
  co_await data.store(value + amount);
  co_await unlock(guard);
}

Task<void> check_lazy(Mutex& mutex, Shared<int>& data, bool fixed) {
  auto guard = co_await mutex.lock();
  const int value = co_await data.load();
  if (fixed) {
    CORO_CHECK_MSG(value <= 3, "data grew past what the two writers add");
  } else {
    CORO_CHECK_MSG(value < 3, "the checker ran after both writers");
  }
  co_await unlock(guard);
}

Task<void> lazy01(bool fixed) {
  Mutex mutex;
  Shared<int> data(0);
  auto t1 = corosim::spawn(add_locked(mutex, data, 1));
  co_await point();
  auto t2 = corosim::spawn(add_locked(mutex, data, 2));
  co_await point();
  auto t3 = corosim::spawn(check_lazy(mutex, data, fixed));
  co_await point();
  co_await t1;
  co_await t2;
  co_await t3;
}

// --- account: the audit's formula is wrong --------------------------------------------
// x = 1, deposit y = 2, withdraw z = 4; once both ran the balance is x + y - z,
// which the buggy audit checks as x - y - z (fixed: account_ok's formula).
struct Account {
  Mutex m;
  Shared<int> balance{1};
  Shared<bool> deposit_done;
  Shared<bool> withdraw_done;
};

Task<void> apply(Account& account, int amount, Shared<bool>& done) {
  auto guard = co_await account.m.lock();
  const int balance = co_await account.balance.load();
  co_await account.balance.store(balance + amount);
  co_await done.store(true);
  co_await unlock(guard);
}

Task<void> audit_account(Account& account, bool fixed) {
  auto guard = co_await account.m.lock();
  const bool deposited = co_await account.deposit_done.load();
  bool both = false;
  if (deposited) both = co_await account.withdraw_done.load();
  if (both) {
    const int balance = co_await account.balance.load();
    const int expected = fixed ? (1 + 2) - 4 : (1 - 2) - 4;
    CORO_CHECK_MSG(balance == expected, "the audit's formula disagrees with the balance");
  }
  co_await unlock(guard);
}

Task<void> account(bool fixed) {
  Account state;
  auto t3 = corosim::spawn(audit_account(state, fixed));
  co_await point();
  auto t1 = corosim::spawn(apply(state, 2, state.deposit_done));
  co_await point();
  auto t2 = corosim::spawn(apply(state, -4, state.withdraw_done));
  co_await point();
  co_await t3;
  co_await t1;
  co_await t2;
}

// --- wronglock: one thread increments under the wrong lock ---------------------------
// funcA checks its own increment under dataLock; funcB increments under
// thisLock. Fixed: funcB takes dataLock.
struct WrongLock {
  Mutex data_lock;
  Mutex this_lock;
  Shared<int> value;
};

Task<void> increment_and_check(WrongLock& state) {
  auto guard = co_await state.data_lock.lock();
  const int before = co_await state.value.load();
  const int current = co_await state.value.load();
  co_await state.value.store(current + 1);
  const int after = co_await state.value.load();
  CORO_CHECK_MSG(after == before + 1, "another thread incremented inside the critical section");
  co_await unlock(guard);
}

Task<void> increment(WrongLock& state, bool fixed) {
  auto guard = co_await (fixed ? state.data_lock : state.this_lock).lock();
  const int current = co_await state.value.load();
  co_await state.value.store(current + 1);
  co_await unlock(guard);
}

Task<void> wronglock(int checkers, int incrementers, bool fixed) {
  WrongLock state;
  std::vector<JoinHandle<void>> threads;
  for (int i = 0; i < checkers; ++i) {
    threads.push_back(corosim::spawn(increment_and_check(state)));
    co_await point();
  }
  for (int i = 0; i < incrementers; ++i) {
    threads.push_back(corosim::spawn(increment(state, fixed)));
    co_await point();
  }
  co_await join_all(threads);
}

// --- twostage: a two-stage update whose stages are visible apart ---------------------
// Writers set data1 under lock 1, then data2 = data1 + 1 under lock 2; a
// reader that sees data1 set expects data2 to agree. Fixed: the writer keeps
// lock 1 until data2 is written, so the two stages commit together.
struct TwoStage {
  Mutex data1_lock;
  Mutex data2_lock;
  Shared<int> data1;
  Shared<int> data2;
};

Task<void> two_stage_writer(TwoStage& state, bool fixed) {
  auto first = co_await state.data1_lock.lock();
  co_await state.data1.store(1);
  if (!fixed) co_await unlock(first);
  auto second = co_await state.data2_lock.lock();
  const int data1 = co_await state.data1.load();
  co_await state.data2.store(data1 + 1);
  co_await unlock(second);
  if (fixed) co_await unlock(first);
}

Task<void> two_stage_reader(TwoStage& state) {
  auto first = co_await state.data1_lock.lock();
  const int seen = co_await state.data1.load();
  if (seen == 0) {
    co_await unlock(first);
    co_return;
  }
  const int t1 = co_await state.data1.load();
  co_await unlock(first);
  auto second = co_await state.data2_lock.lock();
  const int t2 = co_await state.data2.load();
  co_await unlock(second);
  CORO_CHECK_MSG(t2 == t1 + 1, "the reader saw the first stage without the second");
}

Task<void> twostage(int writers, int readers, bool fixed) {
  TwoStage state;
  std::vector<JoinHandle<void>> threads;
  for (int i = 0; i < writers; ++i) {
    threads.push_back(corosim::spawn(two_stage_writer(state, fixed)));
    co_await point();
  }
  for (int i = 0; i < readers; ++i) {
    threads.push_back(corosim::spawn(two_stage_reader(state)));
    co_await point();
  }
  co_await join_all(threads);
}

// --- fsbench: one thread more than the lock array has entries -------------------------
// 26 blocks, 32 inodes; thread t allocates a block for inode t % 32 under
// locki[inode]. With 27 threads, thread 26 indexes locki past its end (the C
// program's out-of-bounds unlock). Fixed: 26 threads (fsbench_ok).
constexpr int kBlocks = 26;
constexpr int kInodes = 32;

struct FileSystem {
  std::array<Mutex, kBlocks> inode_locks;
  std::array<Mutex, kBlocks> block_locks;
  std::array<Shared<int>, kBlocks> busy;
  std::array<Shared<int>, kInodes> inode;
};

Task<void> allocate_block(FileSystem& fs, int thread) {
  const int i = thread % kInodes;
  CORO_CHECK_MSG(i < kBlocks, "a thread's inode index runs past the inode locks");
  if (i >= kBlocks) co_return;
  auto inode_guard = co_await fs.inode_locks[i].lock();
  const int allocated = co_await fs.inode[i].load();
  if (allocated == 0) {
    int b = (i * 2) % kBlocks;
    for (int j = 0; j < kBlocks / 2; ++j) {
      auto block_guard = co_await fs.block_locks[b].lock();
      const int busy = co_await fs.busy[b].load();
      if (busy == 0) {
        co_await fs.busy[b].store(1);
        co_await fs.inode[i].store(b + 1);
        co_await unlock(block_guard);
        break;
      }
      co_await unlock(block_guard);
      b = (b + 1) % kBlocks;
    }
  }
  co_await unlock(inode_guard);
}

Task<void> fsbench(int threads_count) {
  FileSystem fs;
  std::vector<JoinHandle<void>> threads;
  for (int t = 0; t < threads_count; ++t) {
    threads.push_back(corosim::spawn(allocate_block(fs, t)));
    co_await point();
  }
  co_await join_all(threads);
}

const corosim::Expectation kCheck = corosim::fails_with(corosim::Checker::check);
const corosim::Expectation kDeadlock = corosim::fails_with(corosim::Checker::deadlock);

}  // namespace

CORO_SCENARIO("sctbench/deadlock01", kDeadlock) { co_await deadlock01(false); }
CORO_SCENARIO("sctbench/deadlock01_fixed", corosim::passes()) { co_await deadlock01(true); }
CORO_SCENARIO("sctbench/carter01", kDeadlock) { co_await carter01(false); }
CORO_SCENARIO("sctbench/carter01_fixed", corosim::passes()) { co_await carter01(true); }
CORO_SCENARIO("sctbench/lazy01", kCheck) { co_await lazy01(false); }
CORO_SCENARIO("sctbench/lazy01_fixed", corosim::passes()) { co_await lazy01(true); }
CORO_SCENARIO("sctbench/account", kCheck) { co_await account(false); }
CORO_SCENARIO("sctbench/account_fixed", corosim::passes()) { co_await account(true); }
CORO_SCENARIO("sctbench/wronglock", kCheck) { co_await wronglock(1, 7, false); }
CORO_SCENARIO("sctbench/wronglock_fixed", corosim::passes()) { co_await wronglock(1, 7, true); }
CORO_SCENARIO("sctbench/wronglock_3", kCheck) { co_await wronglock(1, 3, false); }
CORO_SCENARIO("sctbench/wronglock_3_fixed", corosim::passes()) { co_await wronglock(1, 3, true); }
CORO_SCENARIO("sctbench/twostage", kCheck) { co_await twostage(1, 1, false); }
CORO_SCENARIO("sctbench/twostage_fixed", corosim::passes()) { co_await twostage(1, 1, true); }
CORO_SCENARIO("sctbench/twostage_100", kCheck) { co_await twostage(99, 1, false); }
CORO_SCENARIO("sctbench/twostage_100_fixed", corosim::passes()) { co_await twostage(99, 1, true); }
CORO_SCENARIO("sctbench/fsbench", kCheck) { co_await fsbench(27); }
CORO_SCENARIO("sctbench/fsbench_fixed", corosim::passes()) { co_await fsbench(26); }
