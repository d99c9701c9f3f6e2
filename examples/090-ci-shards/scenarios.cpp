// Example 090: the scenarios a sharded CI sweep runs (see CMakeLists.txt and
// the CI recipe in docs/user-guide.md).
#include <corosim/runtime/corosim.h>
#include <corosim/cli/cli.h>
#include <corosim/scenarios/registry.h>

CORO_SCENARIO("queue/handoff", corosim::passes()) {
  auto [tx, rx] = corosim::channel<int>(2);
  auto producer = corosim::spawn(
      [](corosim::Sender<int> out) -> corosim::Task<void> {
        for (int i = 1; i <= 5; ++i) co_await out.send(i);
      },
      std::move(tx));
  int sum = 0;
  while (auto item = co_await rx.recv()) sum += *item;
  co_await producer;
  CORO_CHECK(sum == 15);
}

int main(int argc, char** argv) { return corosim::main(argc, argv); }
