// A request handler that a client's disconnect may cancel. Each request is a
// co_spawned coroutine bound to a declared external canceller (the client
// going away, corosim::asio::ExternalCanceller): asio delivers the terminal
// cancellation to whatever the handler awaits, which completes with
// operation_aborted, and the coroutine unwinds. The handler takes a slot of a
// small pool and gives it back by hand after its reply — so a disconnect
// while it waits on the backend leaks the slot. The fixed handler gives it
// back from a guard's destructor, which unwinding runs.
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "corosim/asio/canceller.h"
#include "corosim/asio/scenario.h"
#include "corosim/runtime/check.h"

namespace {

namespace net = corosim::asio::net;
using namespace std::chrono_literals;

struct Pool {
  int free = 2;
};

// Hands a slot back when the handler's frame goes, however it goes.
struct SlotGuard {
  Pool& pool;
  ~SlotGuard() { ++pool.free; }
};

net::awaitable<void> wait(std::chrono::milliseconds delay) {
  net::steady_timer timer(co_await net::this_coro::executor, delay);
  co_await timer.async_wait(net::use_awaitable);
}

net::awaitable<void> handle_request(Pool& pool) {
  --pool.free;
  co_await wait(5ms);  // the backend call
  co_await wait(1ms);  // writing the reply
  ++pool.free;
}

net::awaitable<void> handle_request_guarded(Pool& pool) {
  --pool.free;
  SlotGuard guard{pool};
  co_await wait(5ms);
  co_await wait(1ms);
}

template <class Handler>
net::awaitable<void> serve_three(Handler handler) {
  auto executor = co_await net::this_coro::executor;
  Pool pool;
  int finished = 0;
  std::vector<std::unique_ptr<corosim::asio::ExternalCanceller>> clients;
  for (int i = 0; i < 3; ++i) {
    // (Made here, not in make_unique: its location is where it is constructed.)
    auto& disconnect =
        clients.emplace_back(new corosim::asio::ExternalCanceller(net::cancellation_type::terminal));
    net::co_spawn(executor, disconnect->watched(handler(pool)),
                  net::bind_cancellation_slot(disconnect->slot(), [&](std::exception_ptr) { ++finished; }));
    co_await wait(2ms);
  }
  co_await wait(1s);
  CORO_CHECK_MSG(finished == 3, "every request finished or was cancelled");
  const std::string message = std::to_string(2 - pool.free) + " pool slot(s) never given back";
  CORO_CHECK_MSG(pool.free == 2, message);
}

}  // namespace

CORO_ASIO_SCENARIO("asio/disconnect", corosim::fails_with(corosim::Checker::check)) {
  co_await serve_three(handle_request);
}
CORO_ASIO_SCENARIO("asio/disconnect_fixed", corosim::passes()) {
  co_await serve_three(handle_request_guarded);
}
