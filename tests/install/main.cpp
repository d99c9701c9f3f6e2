// Built against an installed corosim by ./dev.sh test: registers a scenario,
// explores it through the library main, and runs the same code on the
// real-time loop. Exits 0 only if all of it behaves.
#include <cstdio>

#include <corosim/runtime/corosim.h>
#include <corosim/cli/cli.h>
#include <corosim/scenarios/registry.h>

namespace {

corosim::Task<int> sum_over_channel() {
  auto [tx, rx] = corosim::channel<int>(1);
  auto producer = corosim::spawn(
      [](corosim::Sender<int> out) -> corosim::Task<void> {
        for (int i = 1; i <= 4; ++i) co_await out.send(i);
      },
      std::move(tx));
  int sum = 0;
  while (auto item = co_await rx.recv()) sum += *item;
  co_await producer;
  co_return sum;
}

}  // namespace

CORO_SCENARIO("consumer/channel_sum", corosim::passes()) { CORO_CHECK(co_await sum_over_channel() == 10); }

int main() {
  char program[] = "consumer";
  char run[] = "run";
  char seeds[] = "--seeds";
  char count[] = "20";
  char quiet[] = "--quiet";
  char* argv[] = {program, run, seeds, count, quiet, nullptr};
  const int explored = corosim::main(5, argv);
  const int realtime = corosim::run_realtime(sum_over_channel());
  std::printf("consumer: explore exit %d, realtime sum %d\n", explored, realtime);
  return explored == 0 && realtime == 10 ? 0 : 1;
}
