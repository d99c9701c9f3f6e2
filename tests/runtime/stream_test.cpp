// Stream generators and the poll-driven combinators: PolledSet, buffered,
// merge, Pollable and select over a borrowed future.
#include "corosim/runtime/stream.h"

#include <catch2/catch.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::DropFlag;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

namespace {

corosim::Stream<int> counting(int count, corosim::Duration gap, bool* dropped = nullptr) {
  bool ignored = false;
  DropFlag flag(dropped != nullptr ? dropped : &ignored);
  for (int i = 0; i < count; ++i) {
    co_await corosim::sleep_for(gap);
    co_yield i;
  }
}

corosim::Stream<int> failing_after_one() {
  co_yield 1;
  throw std::runtime_error("stream broke");
}

// Sets *done after delay (so a test sees whether it ran), returns value.
Task<int> mark_after(corosim::Duration delay, int value, bool* done) {
  co_await corosim::sleep_for(delay);
  *done = true;
  co_return value;
}

Task<int> after(corosim::Duration delay, int value) {
  co_await corosim::sleep_for(delay);
  co_return value;
}

Task<void> nap(corosim::Duration delay) { co_await corosim::sleep_for(delay); }

Task<std::optional<int>> pull(corosim::Stream<int>& stream) { co_return co_await stream.next(); }

template <class T>
Task<std::vector<T>> drain(corosim::Stream<T>& stream) {
  std::vector<T> items;
  while (std::optional<T> item = co_await stream.next()) items.push_back(*item);
  co_return items;
}

}  // namespace

TEST_CASE("a Stream yields its items in order and awaits inside and then ends", "[stream]") {
  std::vector<int> items;
  auto result = run_fifo([&]() -> Task<void> {
    auto stream = counting(3, 5ms);
    items = co_await drain(stream);
    CORO_CHECK(corosim::now() == 15ms);
    std::optional<int> after_end = co_await stream.next();
    CORO_CHECK(!after_end.has_value());
  });
  REQUIRE(result.passed());
  REQUIRE(items == std::vector<int>{0, 1, 2});
}

TEST_CASE("a Stream rethrows its body's exception from next and then ends", "[stream]") {
  std::string caught;
  auto result = run_fifo([&]() -> Task<void> {
    auto stream = failing_after_one();
    std::optional<int> first = co_await stream.next();
    CORO_CHECK(first == 1);
    try {
      co_await stream.next();
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    std::optional<int> end = co_await stream.next();
    CORO_CHECK(!end.has_value());
  });
  REQUIRE(result.passed());
  REQUIRE(caught == "stream broke");
}

TEST_CASE("cancelling a Stream's next mid-item destroys the body and later pulls throw Cancelled",
          "[stream][cancel]") {
  bool body_dropped = false;
  bool later_cancelled = false;
  auto result = run_fifo([&]() -> Task<void> {
    auto stream = counting(3, 5ms, &body_dropped);
    auto pulled = co_await corosim::timeout(2ms, pull(stream));
    CORO_CHECK(!pulled.has_value());
    CORO_CHECK(body_dropped);
    try {
      co_await stream.next();
    } catch (const corosim::Cancelled&) {
      later_cancelled = true;
    }
  });
  REQUIRE(result.passed());
  REQUIRE(later_cancelled);
}

TEST_CASE("a driven PolledSet runs its members only while its owner awaits it", "[polled_set]") {
  bool first_done = false;
  bool second_done = false;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::PolledSet<int> set;
    set.push(mark_after(1ms, 1, &first_done));
    set.push(mark_after(3ms, 2, &second_done));
    co_await corosim::sleep_for(10ms);
    CORO_CHECK_MSG(!first_done, "a member ran before anyone polled the set");
    std::optional<int> first = co_await set.next();
    CORO_CHECK(first == 1);
    CORO_CHECK(corosim::now() == 11ms);
    co_await corosim::sleep_for(10ms);  // the second member's timer fires: it is held
    CORO_CHECK_MSG(!second_done, "a member progressed while its owner was elsewhere");
    std::optional<int> second = co_await set.next();
    CORO_CHECK(second == 2);
    CORO_CHECK(second_done);
    std::optional<int> none = co_await set.next();
    CORO_CHECK(!none.has_value());
  });
  REQUIRE(result.passed());
}

TEST_CASE("a spawned PolledSet's members progress while the owner is elsewhere", "[polled_set]") {
  bool first_done = false;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::PolledSet<int> set(corosim::Polling::spawned);
    set.push(mark_after(1ms, 1, &first_done));
    co_await corosim::sleep_for(10ms);
    CORO_CHECK(first_done);
    std::optional<int> value = co_await set.next();
    CORO_CHECK(value == 1);
    CORO_CHECK(corosim::now() == 10ms);
  });
  REQUIRE(result.passed());
}

TEST_CASE("PolledSet gives values in completion order or in push order with next_in_order", "[polled_set]") {
  std::vector<int> unordered;
  std::vector<int> ordered;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::PolledSet<int> a;
    corosim::PolledSet<int> b;
    for (int i : {3, 1, 2}) {
      a.push(after(i * 1ms, i));
      b.push(after(i * 1ms, i));
    }
    while (std::optional<int> v = co_await a.next()) unordered.push_back(*v);
    while (std::optional<int> v = co_await b.next_in_order()) ordered.push_back(*v);
  });
  REQUIRE(result.passed());
  REQUIRE(unordered == std::vector<int>{1, 2, 3});
  REQUIRE(ordered == std::vector<int>{3, 1, 2});
}

TEST_CASE("cancelling PolledSet::next loses nothing: the member keeps its progress and value",
          "[polled_set][cancel]") {
  auto result = run_fifo([&]() -> Task<void> {
    corosim::PolledSet<int> set;
    set.push(after(5ms, 42));
    auto early = co_await corosim::timeout(2ms, set.next());
    CORO_CHECK(!early.has_value());
    std::optional<int> value = co_await set.next();
    CORO_CHECK(value == 42);
    CORO_CHECK(corosim::now() == 5ms);  // it progressed while polled, and only then
  });
  REQUIRE(result.passed());
}

TEST_CASE("buffered keeps source order and buffer_unordered gives completion order", "[buffered]") {
  std::vector<int> in_order;
  std::vector<int> unordered;
  int in_flight = 0;
  int most_in_flight = 0;
  auto tracked = [&](int value) -> Task<int> {
    most_in_flight = std::max(most_in_flight, ++in_flight);
    co_await corosim::sleep_for((5 - value) * 1ms);
    --in_flight;
    co_return value;
  };
  auto source = [&]() -> corosim::Stream<Task<int>> {
    for (int i = 0; i < 5; ++i) co_yield tracked(i);
  };
  auto result = run_random(
      [&]() -> Task<void> {
        auto ordered_rows = corosim::buffered(source(), 2);
        while (std::optional<int> v = co_await ordered_rows.next()) in_order.push_back(*v);
        auto any_rows = corosim::buffer_unordered(source(), 5);
        while (std::optional<int> v = co_await any_rows.next()) unordered.push_back(*v);
      },
      3);
  REQUIRE(result.passed());
  REQUIRE(in_order == std::vector<int>{0, 1, 2, 3, 4});
  REQUIRE(unordered == std::vector<int>{4, 3, 2, 1, 0});
  REQUIRE(most_in_flight == 5);
}

TEST_CASE("buffered limits the Tasks in flight to n", "[buffered]") {
  int in_flight = 0;
  int most_in_flight = 0;
  auto tracked = [&](int value) -> Task<int> {
    most_in_flight = std::max(most_in_flight, ++in_flight);
    co_await corosim::sleep_for(1ms);
    --in_flight;
    co_return value;
  };
  auto source = [&]() -> corosim::Stream<Task<int>> {
    for (int i = 0; i < 7; ++i) co_yield tracked(i);
  };
  auto result = run_fifo([&]() -> Task<void> {
    auto rows = corosim::buffered_spawned(source(), 3);
    int count = 0;
    while (std::optional<int> v = co_await rows.next()) ++count;
    CORO_CHECK(count == 7);
  });
  REQUIRE(result.passed());
  REQUIRE(most_in_flight == 3);
}

TEST_CASE("merge delivers every item of every input even when its next is cancelled over and over",
          "[merge][cancel]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<int> seen;
    auto result = run_random(
        [&]() -> Task<void> {
          auto merged = corosim::merge(counting(5, 3ms), counting(4, 5ms));
          for (;;) {
            auto item = co_await corosim::timeout(2ms, merged.next());
            if (item.has_value() && !item->has_value()) break;  // both inputs ended
            if (item.has_value()) seen.push_back(**item);
          }
        },
        seed);
    REQUIRE(result.passed());
    std::sort(seen.begin(), seen.end());
    REQUIRE(seen == std::vector<int>{0, 0, 1, 1, 2, 2, 3, 3, 4});
  }
}

TEST_CASE("select over a borrowed Pollable leaves it pending when it loses and awaiting it later finishes it",
          "[pollable][select]") {
  bool slow_done = false;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Pollable<int> slow(mark_after(10ms, 7, &slow_done));
    auto first = co_await corosim::select(slow, nap(4ms));
    CORO_CHECK(first.index() == 1);
    CORO_CHECK_MSG(!slow.is_finished(), "the borrowed future was dropped or finished early");
    auto second = co_await corosim::select(slow, nap(4ms));
    CORO_CHECK(second.index() == 1);
    CORO_CHECK(corosim::now() == 8ms);
    int value = co_await slow;  // 8ms of polling so far: 2ms to go
    CORO_CHECK(value == 7);
    CORO_CHECK(corosim::now() == 10ms);
  });
  REQUIRE(result.passed());
  REQUIRE(slow_done);
}

TEST_CASE("a driven Pollable does not run between the awaits that poll it", "[pollable]") {
  auto result = run_fifo([&]() -> Task<void> {
    bool done = false;
    corosim::Pollable<int> slow(mark_after(10ms, 7, &done));
    auto lost = co_await corosim::select(slow, nap(4ms));
    CORO_CHECK(lost.index() == 1);
    co_await corosim::sleep_for(100ms);  // not polled: its timer fires, it stays held
    CORO_CHECK(!done);
    int value = co_await slow;
    CORO_CHECK(value == 7);
    CORO_CHECK(corosim::now() == 104ms);
  });
  REQUIRE(result.passed());
}

TEST_CASE("buffered runs on the real-time event loop too", "[buffered][event_loop]") {
  auto source = []() -> corosim::Stream<Task<int>> {
    for (int i = 1; i <= 4; ++i) co_yield after(0ms, i);
  };
  auto sum = corosim::run_realtime([&]() -> Task<int> {
    auto rows = corosim::buffered(source(), 2);
    int total = 0;
    while (std::optional<int> v = co_await rows.next()) total += *v;
    co_return total;
  }());
  REQUIRE(sum == 10);
}
