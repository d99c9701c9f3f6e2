// Go's blocking bugs around sync: a reader-writer lock read-locked twice, and
// a WaitGroup counted up too late — kernels of bugs from Go projects'
// trackers, written with RWMutex and WaitGroup, each with its fixed twin.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/bugs/tick.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::RWMutex;
using corosim::Task;
using namespace std::chrono_literals;

// --- a read lock taken twice, with a writer between ---------------------------
// A cache's lookup read-locks its table and, on a miss, asks a helper that
// read-locks it again to compute a default (Go's RLock is not reentrant; the
// pattern behind deadlocks in Docker and etcd). Harmless until a refresh
// queues for the write lock between the two: the lock prefers writers, so
// the second read waits for the writer, which waits for the first read.
// Fixed: the helper runs under the caller's read lock and takes none.
class Cache {
 public:
  explicit Cache(bool fixed) : fixed_(fixed) {}

  Task<int> lookup(int key) {
    auto reading = co_await lock_.read();
    co_await corosim::bugs::tick();
    const auto found = entries_.find(key);
    if (found != entries_.end()) co_return found->second;
    co_return co_await fallback();
  }

  Task<void> refresh() {
    auto writing = co_await lock_.write();
    for (int key = 0; key < 4; ++key) entries_[key] = key * 10;
  }

 private:
  Task<int> fallback() {
    std::optional<RWMutex::ReadGuard> reading;
    if (!fixed_) reading = co_await lock_.read();
    co_return static_cast<int>(entries_.size());
  }

  RWMutex lock_;
  std::map<int, int> entries_;
  bool fixed_;
};

Task<void> recursive_read(bool fixed) {
  Cache cache(fixed);
  corosim::TaskScope scope;
  for (int key = 0; key < 2; ++key) {
    scope.spawn([&cache, key]() -> Task<void> { co_await cache.lookup(key); });
  }
  scope.spawn([&cache]() -> Task<void> {
    co_await corosim::sleep_for(std::chrono::microseconds(corosim::random(3)));
    co_await cache.refresh();
  });
  co_await scope.join();
}

// --- a WaitGroup counted up inside the worker -----------------------------------
// Each worker calls add(1) when it starts instead of its caller before
// spawning it (a common Go mistake: `go func() { wg.Add(1); defer wg.Done() }`).
// wait() can then see zero before a worker has started, and the caller goes on
// with results that are not all there. Fixed: add() before the spawn.
struct Work {
  corosim::WaitGroup group;
  std::vector<int> results;
};

Task<void> worker(std::shared_ptr<Work> work, int item, bool fixed) {
  if (!fixed) work->group.add();
  co_await corosim::sleep_for(std::chrono::milliseconds(1 + corosim::random(3)));
  work->results.push_back(item * item);
  work->group.done();
}

Task<void> add_after_wait(bool fixed) {
  auto work = std::make_shared<Work>();
  for (int item = 0; item < 3; ++item) {
    if (fixed) work->group.add();
    corosim::spawn_detached(worker(work, item, fixed), corosim::Outlive::allowed);
  }
  co_await work->group.wait();
  CORO_CHECK(work->results.size() == 3);  // every worker's result is in
}

}  // namespace

CORO_SCENARIO("go/rwmutex_recursive_read", corosim::fails_with(corosim::Checker::deadlock)) {
  co_await recursive_read(false);
}
CORO_SCENARIO("go/rwmutex_recursive_read_fixed", corosim::passes()) { co_await recursive_read(true); }
CORO_SCENARIO("go/waitgroup_add_after_wait", corosim::fails_with(corosim::Checker::check)) {
  co_await add_after_wait(false);
}
CORO_SCENARIO("go/waitgroup_add_after_wait_fixed", corosim::passes()) { co_await add_after_wait(true); }
