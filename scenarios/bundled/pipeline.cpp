// A producer/consumer pipeline over a bounded channel, with a semaphore
// limiting concurrent workers and an event announcing the end: every item
// arrives exactly once, in order, whatever the schedule.
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;

Task<void> produce(corosim::Sender<int> out, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    const bool sent = co_await out.send(i);
    CORO_CHECK(sent);
  }
}

}  // namespace

CORO_SCENARIO("pipeline/bounded_channel", corosim::passes()) {
  auto [tx, rx] = corosim::channel<int>(2);
  auto producer = corosim::spawn(produce(std::move(tx), 0, 20));
  std::vector<int> received;
  while (auto item = co_await rx.recv()) received.push_back(*item);
  co_await producer;
  CORO_CHECK(received.size() == 20);
  for (int i = 0; i < static_cast<int>(received.size()); ++i) CORO_CHECK(received[i] == i);
}

CORO_SCENARIO("pipeline/worker_pool", corosim::passes()) {
  corosim::Semaphore slots(2);
  corosim::Event done;
  int running = 0;
  int peak = 0;
  int finished = 0;
  corosim::TaskScope scope;
  for (int job = 0; job < 6; ++job) {
    scope.spawn([&, job]() -> Task<void> {
      auto permit = co_await slots.acquire();
      ++running;
      peak = running > peak ? running : peak;
      co_await corosim::sleep_for(std::chrono::milliseconds(1 + corosim::random(5)));
      --running;
      if (++finished == 6) done.set();
      (void)job;
    });
  }
  co_await done.wait();
  co_await scope.join();
  CORO_CHECK_MSG(peak <= 2, "peak concurrency " + std::to_string(peak));
  CORO_CHECK(slots.available() == 2);
}
