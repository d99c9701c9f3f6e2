// select, timeout and TaskScope: losers are drained before select returns,
// timeouts drop the slow operation, scopes finish their children.
#include <chrono>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using namespace std::chrono_literals;

struct DropFlag {
  bool* dropped;
  ~DropFlag() { *dropped = true; }
};

Task<int> slow_answer(bool* dropped) {
  DropFlag flag{dropped};
  co_await corosim::sleep_for(50ms);
  co_return 1;
}

Task<int> quick_answer() {
  co_await corosim::sleep_for(10ms);
  co_return 2;
}

}  // namespace

// These two check the exact order of two timers, which injected
// cancellation varies on purpose (a racing timer may expire early, like an
// operation that is slower than expected): they opt out of it.
CORO_SCENARIO("structure/select_drains_loser",
              corosim::passes().under_cancel(corosim::CancelExploration::none)) {
  bool loser_dropped = false;
  auto winner = co_await corosim::select(slow_answer(&loser_dropped), quick_answer());
  CORO_CHECK(winner.index() == 1);
  CORO_CHECK(std::get<1>(winner) == 2);
  CORO_CHECK_MSG(loser_dropped, "the losing arm was still alive after select returned");
  CORO_CHECK(corosim::now() == 10ms);
}

CORO_SCENARIO("structure/timeout", corosim::passes().under_cancel(corosim::CancelExploration::none)) {
  bool dropped = false;
  auto late = co_await corosim::timeout(20ms, slow_answer(&dropped));
  CORO_CHECK(!late.has_value());
  CORO_CHECK(dropped);
  auto early = co_await corosim::timeout(20ms, quick_answer());
  CORO_CHECK(early.has_value() && *early == 2);
}

CORO_SCENARIO("structure/scope_joins_children", corosim::passes()) {
  int finished = 0;
  corosim::TaskScope scope;
  for (int i = 0; i < 4; ++i) {
    scope.spawn([&finished, i]() -> Task<void> {
      co_await corosim::sleep_for(std::chrono::milliseconds(i));
      ++finished;
    });
  }
  co_await scope.join();
  CORO_CHECK(finished == 4);
}
