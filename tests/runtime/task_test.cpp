#include "runtime/task.h"

#include <catch2/catch.hpp>

#include "tests/common/sim_helpers.h"

using corosim::Task;

namespace {
Task<int> answer() { co_return 42; }
Task<int> twice() { co_return co_await answer() * 2; }
}  // namespace

TEST_CASE("a Task returns its value to the awaiter", "[task]") {
  int got = 0;
  auto result = corosim::testing::run_fifo([&]() -> Task<void> { got = co_await twice(); });
  REQUIRE(result.passed());
  REQUIRE(got == 84);
}
