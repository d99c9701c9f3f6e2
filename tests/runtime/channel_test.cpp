// Channel and oneshot.
#include "corosim/runtime/channel.h"

#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

TEST_CASE("a bounded channel delivers in order and parks a sender while full", "[channel]") {
  std::vector<int> received;
  auto result = run_fifo([&]() -> Task<void> {
    auto [tx, rx] = corosim::channel<int>(2);
    CORO_CHECK(co_await tx.send(1));
    CORO_CHECK(co_await tx.send(2));
    CORO_CHECK(!tx.try_send(99));  // full
    auto third = corosim::spawn([&tx]() -> Task<bool> { co_return co_await tx.send(3); });
    co_await corosim::yield_now();
    CORO_CHECK(!third.is_finished());  // parked: no room
    while (received.size() < 3) received.push_back(*co_await rx.recv());
    CORO_CHECK(co_await third);
    CORO_CHECK(rx.sent() == 3 && rx.received() == 3 && rx.size() == 0);
  });
  REQUIRE(result.passed());
  REQUIRE(received == std::vector<int>{1, 2, 3});
}

// A Go habit, channel(0) for an unbuffered channel: without the check an
// NDEBUG build made it the unbounded channel, silently.
TEST_CASE("a bounded channel of capacity 0 is a UsageError that names make_chan", "[channel]") {
  REQUIRE_THROWS_AS(corosim::channel<int>(0), corosim::UsageError);
  REQUIRE_THROWS_WITH(corosim::channel<int>(0), Catch::Contains("channel(0) at ") &&
                                                    Catch::Contains("channel_test.cpp") &&
                                                    Catch::Contains("corosim::make_chan<T>()"));
}

TEST_CASE("closing ends the stream after the buffered items", "[channel]") {
  std::vector<int> received;
  auto result = run_fifo([&]() -> Task<void> {
    auto [tx, rx] = corosim::unbounded_channel<int>();
    co_await tx.send(1);
    co_await tx.send(2);
    tx.close();
    CORO_CHECK(!(co_await tx.send(3)));
    while (auto item = co_await rx.recv()) received.push_back(*item);
  });
  REQUIRE(result.passed());
  REQUIRE(received == std::vector<int>{1, 2});
}

TEST_CASE("the last sender going away closes the channel", "[channel]") {
  bool ended = false;
  auto result = run_fifo([&]() -> Task<void> {
    auto [tx, rx] = corosim::channel<std::unique_ptr<int>>(1);
    auto producer = corosim::spawn(
        [](corosim::Sender<std::unique_ptr<int>> out) -> Task<void> {
          auto copy = out;  // two senders, both gone at the end
          co_await copy.send(std::make_unique<int>(5));
        },
        std::move(tx));
    auto first = co_await rx.recv();
    CORO_CHECK(first && **first == 5);
    ended = !(co_await rx.recv()).has_value();
    co_await producer;
  });
  REQUIRE(result.passed());
  REQUIRE(ended);
}

TEST_CASE("send fails once the receiver is gone", "[channel]") {
  auto result = run_fifo([&]() -> Task<void> {
    auto [tx, rx] = corosim::channel<int>(1);
    co_await tx.send(1);
    auto blocked = corosim::spawn([&tx]() -> Task<bool> { co_return co_await tx.send(2); });
    co_await corosim::yield_now();
    {
      auto gone = std::move(rx);
    }
    CORO_CHECK(!(co_await blocked));
    CORO_CHECK(tx.is_closed());
  });
  REQUIRE(result.passed());
}

TEST_CASE("recv is cancel safe: a receiver dropped after the wake-up loses nothing", "[channel][drop]") {
  auto result = run_fifo([&]() -> Task<void> {
    auto [tx, rx] = corosim::channel<int>(4);
    auto receiver = corosim::spawn([&rx]() -> Task<void> { co_await rx.recv(); });
    co_await corosim::yield_now();  // parked in recv
    co_await tx.send(42);           // wakes it; it has not resumed yet
    receiver.cancel();
    CORO_CHECK(rx.size() == 1);
    CORO_CHECK(*rx.try_recv() == 42);
  });
  REQUIRE(result.passed());
}

TEST_CASE("property: every item arrives exactly once and in order per sender", "[channel]") {
  auto body = []() -> Task<void> {
    auto [tx, rx] = corosim::channel<std::pair<int, int>>(2);
    corosim::TaskScope scope;
    for (int sender = 0; sender < 3; ++sender) {
      scope.spawn(
          [sender](corosim::Sender<std::pair<int, int>> out) -> Task<void> {
            for (int i = 0; i < 5; ++i) co_await out.send({sender, i});
          },
          tx);
    }
    {
      auto drop = std::move(tx);
    }
    int next[3] = {0, 0, 0};
    int total = 0;
    while (auto item = co_await rx.recv()) {
      CORO_CHECK(item->second == next[item->first]);
      ++next[item->first];
      ++total;
    }
    CORO_CHECK(total == 15);
    co_await scope.join();
  };
  for (std::uint64_t seed = 0; seed < 50; ++seed) REQUIRE(run_random(body, seed).passed());
}

TEST_CASE("oneshot delivers one value or nullopt if the sender is dropped", "[oneshot]") {
  auto result = run_fifo([&]() -> Task<void> {
    auto [tx, rx] = corosim::oneshot<int>();
    auto waiter = corosim::spawn([&rx]() -> Task<std::optional<int>> { co_return co_await rx.recv(); });
    co_await corosim::yield_now();
    CORO_CHECK(tx.send(9));
    auto got = co_await waiter;
    CORO_CHECK(got == 9);

    auto [tx2, rx2] = corosim::oneshot<int>();
    {
      auto gone = std::move(tx2);
    }
    CORO_CHECK(!(co_await rx2.recv()).has_value());
  });
  REQUIRE(result.passed());
}

TEST_CASE("a second fiber receiving from one channel fails the run with why", "[channel]") {
  // Two workers on one receiver: the second recv() while the first waits is
  // a usage error in every build type, not an assert that Release compiles out.
  auto result = run_fifo([&]() -> Task<void> {
    auto [tx, rx] = corosim::channel<int>(4);
    auto worker = [&rx]() -> Task<void> {
      while (auto item = co_await rx.recv()) {
      }
    };
    auto a = corosim::spawn(worker());
    auto b = corosim::spawn(worker());
    co_await corosim::yield_now();
    tx.close();
    co_await a;
    co_await b;
  });
  REQUIRE_FALSE(result.passed());
  CHECK_THAT(result.failure->message, Catch::Contains("two fibers receive from channel#") &&
                                          Catch::Contains("a channel has one consumer"));
}

TEST_CASE("a oneshot sender knows when its receiver is gone", "[oneshot]") {
  auto result = run_fifo([&]() -> Task<void> {
    auto [tx, rx] = corosim::oneshot<int>();
    CORO_CHECK(!tx.is_closed());
    {
      auto gone = std::move(rx);
    }
    CORO_CHECK(tx.is_closed());
    CORO_CHECK(!tx.send(1));  // discarded, as is_closed() said
    co_return;
  });
  REQUIRE(result.passed());
}

TEST_CASE("reserve waits for a slot and the permit sends without suspending", "[channel][reserve]") {
  std::vector<int> received;
  auto result = run_fifo([&]() -> Task<void> {
    auto [tx, rx] = corosim::channel<int>(1);
    auto permit = co_await tx.reserve();
    CORO_CHECK(permit.has_value());
    CORO_CHECK(!tx.try_send(9));  // the reserved slot counts as used
    auto waiting = corosim::spawn([&tx]() -> Task<bool> {
      auto second = co_await tx.reserve();  // parks: the only slot is reserved
      co_return second.has_value() && second->send(2);
    });
    co_await corosim::yield_now();
    CORO_CHECK(!waiting.is_finished());
    CORO_CHECK(permit->send(1));
    received.push_back(*co_await rx.recv());  // frees the slot: `waiting` gets it
    CORO_CHECK(co_await waiting);
    received.push_back(*co_await rx.recv());
  });
  REQUIRE(result.passed());
  REQUIRE(received == std::vector<int>{1, 2});
}

TEST_CASE("an unused or dropped reservation gives its slot back", "[channel][reserve][drop]") {
  auto result = run_fifo([&]() -> Task<void> {
    auto [tx, rx] = corosim::channel<int>(1);
    {
      auto unused = co_await tx.reserve();
    }
    CORO_CHECK(tx.try_send(1));  // the slot came back
    auto parked = corosim::spawn([&tx]() -> Task<void> { auto p = co_await tx.reserve(); });
    co_await corosim::yield_now();
    CORO_CHECK(*rx.try_recv() == 1);  // the slot goes to `parked`...
    parked.cancel();                  // ...which is dropped before it resumes
    CORO_CHECK(tx.try_send(2));       // and the slot is free again
    tx.close();
    auto closed = co_await tx.reserve();
    CORO_CHECK(!closed.has_value());
  });
  REQUIRE(result.passed());
}
