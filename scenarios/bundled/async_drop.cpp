// The seed's detached-control-flow stories.
//
// drop/sqlite_close: an async sqlite library closes its database handle in a
// task spawned from the handle's destructor. sqlite allows one handle at a
// time, so opening a new handle right after dropping the old one fails on the
// schedules where that detached close has not run yet. corosim reports the
// spawn from the destructor deterministically, on every schedule (the
// detached-cleanup checker). The fix holds the handle through corosim::scoped:
// its async_close is awaited — also when the holder is cancelled, in which
// case the close is handed to the holder's fiber and the holder completes only
// after it — so the reopen always finds the handle closed.
//
// scope/detached_child: a request handler records an audit entry with
// spawn_detached; the entry lands after the handler has returned and its
// request is finished (the detached-fiber checker). The fix spawns it into a
// TaskScope that the handler joins.
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using namespace std::chrono_literals;

// The database engine: one handle open at a time.
struct Sqlite {
  bool handle_open = false;
};

Task<void> release_handle(Sqlite* engine) {
  co_await corosim::sleep_for(3ms);  // flush the write-ahead log
  engine->handle_open = false;
}

Task<void> acquire_handle(Sqlite& engine) {
  co_await corosim::sleep_for(1ms);  // open the file
  if (engine.handle_open) throw std::runtime_error("database is locked: the old handle is still open");
  engine.handle_open = true;
}

// Buggy: the destructor starts the close and returns.
class LeakyDatabase : public corosim::AsyncResource {
 public:
  static Task<LeakyDatabase> open(Sqlite& engine) {
    co_await acquire_handle(engine);
    co_return LeakyDatabase(engine);
  }
  LeakyDatabase(LeakyDatabase&& other) noexcept = default;
  ~LeakyDatabase() {
    if (is_open()) corosim::spawn_detached(release_handle(engine_));
  }
  Task<int> query() {
    ensure_open();
    co_await corosim::sleep_for(2ms);
    co_return 42;
  }
  Task<void> async_close() {
    co_await release_handle(engine_);
    mark_closed();
  }

 private:
  explicit LeakyDatabase(Sqlite& engine) : engine_(&engine) {}
  Sqlite* engine_;
};

// Fixed: open hands back a guard, so the handle is closed by awaiting.
class Database : public corosim::AsyncResource {
 public:
  static Task<corosim::Scoped<Database>> open(Sqlite& engine) {
    co_await acquire_handle(engine);
    // No suspension point between owning the handle and guarding it.
    co_return co_await corosim::scoped(Database(engine));
  }
  Database(Database&& other) noexcept = default;
  Task<int> query() {
    ensure_open();
    co_await corosim::sleep_for(2ms);
    co_return 42;
  }
  Task<void> async_close() {
    co_await release_handle(engine_);
    mark_closed();
  }

 private:
  explicit Database(Sqlite& engine) : engine_(&engine) {}
  Sqlite* engine_;
};

Task<void> use_leaky(Sqlite& engine) {
  LeakyDatabase db = co_await LeakyDatabase::open(engine);
  int answer = co_await db.query();
  CORO_CHECK(answer == 42);
}  // ~LeakyDatabase: the close is spawned and left running

Task<void> use_scoped(Sqlite& engine) {
  auto db = co_await Database::open(engine);
  int answer = co_await db->query();
  CORO_CHECK(answer == 42);
  co_await db.close();
}

struct Request {
  std::vector<std::string> log;
  bool finished = false;
};

Task<void> audit(Request& request) {
  co_await corosim::sleep_for(5ms);  // the audit service is slow
  CORO_CHECK_MSG(!request.finished, "the audit entry was written to a finished request");
  request.log.push_back("audited");
}

Task<void> handle_detached(Request& request) {
  corosim::spawn_detached(audit(request));
  co_await corosim::sleep_for(1ms);
  request.log.push_back("handled");
}

Task<void> handle_scoped(Request& request) {
  corosim::TaskScope scope;
  scope.spawn(audit(request));
  co_await corosim::sleep_for(1ms);
  request.log.push_back("handled");
  co_await scope.join();
}

}  // namespace

CORO_SCENARIO("drop/sqlite_close", corosim::fails_with(corosim::Checker::detached_cleanup)) {
  Sqlite engine;
  co_await use_leaky(engine);
  co_await use_leaky(engine);  // on some schedules: "database is locked"
}

CORO_SCENARIO("drop/sqlite_close_fixed", corosim::passes()) {
  Sqlite engine;
  // Either run may be cancelled anywhere; whether it was or not, its close
  // has finished by the time cancellable returns, so the next open succeeds.
  co_await corosim::cancellable(use_scoped(engine));
  co_await corosim::cancellable(use_scoped(engine));
  CORO_CHECK_MSG(!engine.handle_open, "a handle was left open");
}

CORO_SCENARIO("scope/detached_child", corosim::fails_with(corosim::Checker::detached_fiber)) {
  Request request;
  auto handler = corosim::spawn(handle_detached(request));
  co_await handler;
  request.finished = true;
  co_await corosim::sleep_for(10ms);
}

CORO_SCENARIO("scope/detached_child_fixed", corosim::passes()) {
  Request request;
  const bool completed = co_await corosim::cancellable(handle_scoped(request));
  request.finished = true;
  // The audit may itself have been cancelled (it is a scope child, so a
  // cancellation boundary); what must hold is that nothing lands afterwards.
  if (completed) CORO_CHECK(!request.log.empty() && request.log.front() == "handled");
  co_await corosim::sleep_for(10ms);
}
