#include "corosim/runtime/sim_file.h"

#include <catch2/catch.hpp>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::run_fifo;
using namespace std::chrono_literals;

TEST_CASE("SimFile reads batches with latency and advances its position", "[sim_file]") {
  auto result = run_fifo([]() -> Task<void> {
    corosim::SimFile file({1, 2, 3, 4, 5}, 2ms);
    auto first = co_await file.read_batch(2);
    CORO_CHECK((first == std::vector<int>{1, 2}));
    CORO_CHECK(corosim::now() == 2ms);
    auto rest = co_await file.read_batch(10);
    CORO_CHECK((rest == std::vector<int>{3, 4, 5}));
    CORO_CHECK(file.at_end());
    CORO_CHECK(co_await file.read_batch(1) == std::vector<int>{});
  });
  REQUIRE(result.passed());
}

TEST_CASE("a read_batch dropped before it returns reads nothing", "[sim_file][drop]") {
  auto result = run_fifo([]() -> Task<void> {
    corosim::SimFile file({1, 2, 3}, 5ms);
    auto reader = corosim::spawn([&file]() -> Task<void> { co_await file.read_batch(2); });
    co_await corosim::sleep_for(1ms);
    reader.cancel();
    CORO_CHECK(file.position() == 0);
  });
  REQUIRE(result.passed());
}

TEST_CASE("PacketSource delivers packets at their arrival times", "[sim_file]") {
  auto result = run_fifo([]() -> Task<void> {
    corosim::PacketSource packets({3ms, 8ms});
    CORO_CHECK(co_await packets.next() == 0);
    CORO_CHECK(corosim::now() == 3ms);
    CORO_CHECK(co_await packets.next() == 1);
    CORO_CHECK(corosim::now() == 8ms);
    CORO_CHECK(!(co_await packets.next()).has_value());
    CORO_CHECK(packets.exhausted());
  });
  REQUIRE(result.passed());
}
