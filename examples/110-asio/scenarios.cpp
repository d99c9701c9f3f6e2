// Example 110: asio coroutines tested as they are. The scenarios run
// lookup.h's coroutines on corosim's simulated executor (virtual time: the
// 50 ms backend takes no wall time); production.cpp runs the same coroutine
// on a real asio::io_context.
//
//   ./asio_scenarios run                 # both meet their expectations
//   ./asio_scenarios run lookup/deadline_leaves_key_loading --trace
#include <corosim/asio/scenario.h>
#include <corosim/cli/cli.h>

#include "lookup.h"

CORO_ASIO_SCENARIO("lookup/deadline_leaves_key_loading", corosim::fails_with(corosim::Checker::check)) {
  lookup::Cache cache;
  const bool recovered = co_await lookup::recovers(cache, false);
  CORO_CHECK_MSG(recovered, "the key stayed 'loading' after the deadline cut its fetch off");
}

CORO_ASIO_SCENARIO("lookup/guarded", corosim::passes()) {
  lookup::Cache cache;
  const bool recovered = co_await lookup::recovers(cache, true);
  CORO_CHECK_MSG(recovered, "the key stayed 'loading' after the deadline cut its fetch off");
}

int main(int argc, char** argv) { return corosim::main(argc, argv); }
