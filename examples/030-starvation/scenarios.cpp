// Example 030: a starved future. buffered() drives up to 3 jobs at once, but
// only while its owner awaits next(): while the owner's slow body runs, a job
// that is ready waits unpolled (Rust's "snoozing"). corosim's snooze checker
// reports a member left ready for more than a second of virtual time.
// buffered_spawned() runs the jobs as fibers of their own: nothing starves.
#include <chrono>
#include <optional>

#include <corosim/runtime/corosim.h>
#include <corosim/cli/cli.h>
#include <corosim/scenarios/registry.h>

namespace {

using namespace std::chrono_literals;

corosim::Task<int> job(int id) {
  co_await corosim::sleep_for(10ms);  // e.g. a query; its connection times out if left idle
  co_return id;
}

corosim::Stream<corosim::Task<int>> jobs() {
  for (int id = 0; id < 6; ++id) co_yield job(id);
}

template <class Rows>
corosim::Task<void> consume(Rows& rows) {
  int count = 0;
  while (std::optional<int> row = co_await rows.next()) {
    ++count;
    co_await corosim::sleep_for(2s);  // the slow body: the owner is not polling meanwhile
  }
  CORO_CHECK(count == 6);
}

}  // namespace

CORO_SCENARIO("jobs/buffered", corosim::fails_with(corosim::Checker::snooze)) {
  auto rows = corosim::buffered(jobs(), 3);
  co_await consume(rows);
}

CORO_SCENARIO("jobs/buffered_spawned", corosim::passes()) {
  auto rows = corosim::buffered_spawned(jobs(), 3);
  co_await consume(rows);
}

int main(int argc, char** argv) { return corosim::main(argc, argv); }
