// Example 040: asynchronous cleanup. A connection whose close needs a
// co_await cannot close in its destructor; starting the close there and
// returning leaves it running detached (the detached-cleanup checker). A
// corosim::AsyncResource held through corosim::scoped() is closed by awaiting
// close(), and if it is dropped without it (cancelled), its async_close still
// runs and its owner's completion waits for it.
#include <chrono>
#include <stdexcept>

#include <corosim/runtime/corosim.h>
#include <corosim/cli/cli.h>
#include <corosim/scenarios/registry.h>

namespace {

using corosim::Task;
using namespace std::chrono_literals;

struct Server {
  int open_connections = 0;
};

Task<void> hang_up(Server* server) {
  co_await corosim::sleep_for(2ms);  // the goodbye round trip
  --server->open_connections;
}

// Buggy: the destructor starts the goodbye and returns.
class LeakyConnection : public corosim::AsyncResource {
 public:
  static Task<LeakyConnection> open(Server& server) {
    co_await corosim::sleep_for(1ms);
    ++server.open_connections;
    co_return LeakyConnection(server);
  }
  LeakyConnection(LeakyConnection&&) noexcept = default;
  ~LeakyConnection() {
    if (is_open()) corosim::spawn_detached(hang_up(server_));
  }
  Task<void> async_close() {
    co_await hang_up(server_);
    mark_closed();
  }

 private:
  explicit LeakyConnection(Server& server) : server_(&server) {}
  Server* server_;
};

// Fixed: open hands back a guard; the close is awaited.
class Connection : public corosim::AsyncResource {
 public:
  static Task<corosim::Scoped<Connection>> open(Server& server) {
    co_await corosim::sleep_for(1ms);
    ++server.open_connections;
    co_return co_await corosim::scoped(Connection(server));
  }
  Connection(Connection&&) noexcept = default;
  Task<int> request() {
    ensure_open();
    co_await corosim::sleep_for(3ms);
    co_return 200;
  }
  Task<void> async_close() {
    co_await hang_up(server_);
    mark_closed();
  }

 private:
  explicit Connection(Server& server) : server_(&server) {}
  Server* server_;
};

Task<void> use_leaky(Server& server) {
  LeakyConnection connection = co_await LeakyConnection::open(server);
  co_await corosim::sleep_for(3ms);
}  // ~LeakyConnection: the goodbye is spawned and left running

Task<void> use_scoped(Server& server) {
  auto connection = co_await Connection::open(server);
  CORO_CHECK(co_await connection->request() == 200);
  co_await connection.close();
}

}  // namespace

CORO_SCENARIO("connection/leaky", corosim::fails_with(corosim::Checker::detached_cleanup)) {
  Server server;
  co_await use_leaky(server);
}

CORO_SCENARIO("connection/scoped", corosim::passes()) {
  Server server;
  // Cancelled anywhere or not, the goodbye has finished when cancellable returns.
  co_await corosim::cancellable(use_scoped(server));
  CORO_CHECK(server.open_connections == 0);
}

int main(int argc, char** argv) { return corosim::main(argc, argv); }
