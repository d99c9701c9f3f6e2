// A user's scenario binary: their own CORO_SCENARIOs and corosim's library
// main, registered with CTest by corosim_add_scenarios (see CMakeLists.txt).
#include <corosim/runtime/corosim.h>
#include <corosim/cli/cli.h>
#include <corosim/scenarios/registry.h>

namespace {

corosim::Task<void> deposit(int* balance) {
  const int read = *balance;
  co_await corosim::yield_now();
  *balance = read + 10;
}

}  // namespace

// The bug, found: the test passes because the scenario says it must fail.
CORO_SCENARIO("bank/lost_update", corosim::fails_with(corosim::Checker::check)) {
  int balance = 0;
  auto a = corosim::spawn(deposit(&balance));
  auto b = corosim::spawn(deposit(&balance));
  co_await a;
  co_await b;
  CORO_CHECK(balance == 20);
}

CORO_SCENARIO("queue/ping", corosim::passes()) {
  auto [tx, rx] = corosim::channel<int>(1);
  auto sender = corosim::spawn([](corosim::Sender<int> out) -> corosim::Task<void> { co_await out.send(7); },
                               std::move(tx));
  auto got = co_await rx.recv();
  co_await sender;
  CORO_CHECK(got == 7);
}

int main(int argc, char** argv) { return corosim::main(argc, argv); }
