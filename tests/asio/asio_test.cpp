// The asio layer: unmodified asio coroutine code on the simulated executor —
// handler order explored, timers on virtual time, the checkers on asio runs.
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <catch2/catch.hpp>
#include <array>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>

#include "corosim/asio/canceller.h"
#include "corosim/asio/scenario.h"
#include "corosim/asio/stream.h"
#include "corosim/runtime/check.h"
#include "corosim/runtime/time.h"
#include "corosim/runtime/usage_error.h"
#include "corosim/sim/strategy/dfs.h"
#include "corosim/sim/strategy/pct.h"
#include "tests/common/sim_helpers.h"

using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
namespace net = corosim::asio::net;
using namespace std::chrono_literals;

namespace {

corosim::MainFactory on_asio(net::awaitable<void> (*body)()) {
  return [body]() { return corosim::asio::run(body); };
}

// Two coroutines each post once, then one writes and the other reads. asio
// orders posted handlers only on a strand: on a plain executor either may
// run first (a multi-threaded io_context shows both), so the read may come
// first.
net::awaitable<void> post_order_race() {
  auto executor = co_await net::this_coro::executor;
  int value = 0;
  int done = 0;
  auto finished = [&](std::exception_ptr) { ++done; };
  net::co_spawn(
      executor,
      [&]() -> net::awaitable<void> {
        co_await net::post(executor, net::use_awaitable);
        value = 1;
      },
      finished);
  net::co_spawn(
      executor,
      [&]() -> net::awaitable<void> {
        co_await net::post(executor, net::use_awaitable);
        CORO_CHECK_MSG(value == 1, "the reader ran before the writer");
      },
      finished);
  net::steady_timer settle(executor, 1ms);
  co_await settle.async_wait(net::use_awaitable);
  CORO_CHECK(done == 2);
}

// The same on a strand: its order is asio's guarantee, and holds.
net::awaitable<void> post_order_on_strand() {
  auto executor = co_await net::this_coro::executor;
  auto strand = net::make_strand(executor);
  int value = 0;
  net::post(strand, [&] { value = 1; });
  net::post(strand, [&] { CORO_CHECK_MSG(value == 1, "a strand ran its handlers out of order"); });
  net::steady_timer settle(executor, 1ms);
  co_await settle.async_wait(net::use_awaitable);
}

net::awaitable<void> a_day_of_timers() {
  auto executor = co_await net::this_coro::executor;
  const auto start = std::chrono::steady_clock::now();
  const auto wall_start = std::chrono::system_clock::now();
  net::steady_timer timer(executor);
  for (int hour = 0; hour < 24; ++hour) {
    for (int minute = 0; minute < 60; ++minute) {
      timer.expires_after(1min);
      co_await timer.async_wait(net::use_awaitable);
    }
  }
  CORO_CHECK(std::chrono::steady_clock::now() - start == 24h);
  CORO_CHECK(std::chrono::system_clock::now() - wall_start == 24h);
  CORO_CHECK(corosim::now() == 24h);  // the simulator's clock and asio's are one
}

net::awaitable<void> waits_for_nobody() {
  auto executor = co_await net::this_coro::executor;
  net::experimental::channel<void(net::error_code, int)> channel(executor, 0);
  co_await channel.async_receive(net::use_awaitable);
}

net::awaitable<void> throws_from_a_handler() {
  auto executor = co_await net::this_coro::executor;
  net::steady_timer timer(executor, 5ms);
  co_await timer.async_wait(net::use_awaitable);
  throw std::runtime_error("the reply was malformed");
}

// Two timers due at the same moment: which completion runs first is a
// decision (a timer tie), not the order they were armed in.
net::awaitable<void> timer_tie() {
  auto executor = co_await net::this_coro::executor;
  std::string order;
  auto wait = [&](char name) -> net::awaitable<void> {
    net::steady_timer timer(executor, 2ms);
    co_await timer.async_wait(net::use_awaitable);
    order += name;
  };
  net::co_spawn(executor, wait('a'), net::detached);
  net::co_spawn(executor, wait('b'), net::detached);
  net::steady_timer settle(executor, 3ms);
  co_await settle.async_wait(net::use_awaitable);
  CORO_CHECK_MSG(order == "ab", "the later-armed timer's completion ran first");
}

}  // namespace

TEST_CASE("asio: a handler-order race that fifo never shows and random pct and dfs do", "[asio]") {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    corosim::FifoStrategy fifo;
    corosim::Simulator simulator(fifo);
    REQUIRE(simulator.run(on_asio(post_order_race), seed).passed());
  }
  auto found_within = [](corosim::Strategy& strategy, std::uint64_t runs) {
    corosim::Simulator simulator(strategy);
    for (std::uint64_t seed = 0; seed < runs && !strategy.exhausted(); ++seed) {
      const corosim::RunResult run = simulator.run(on_asio(post_order_race), seed);
      if (!run.passed()) {
        CHECK(checker_of(run) == "check");
        CHECK_THAT(message_of(run), Catch::Contains("the reader ran before the writer"));
        return true;
      }
    }
    return false;
  };
  corosim::RandomStrategy random;
  CHECK(found_within(random, 100));
  corosim::PctStrategy pct(3);
  CHECK(found_within(pct, 100));
  corosim::DfsStrategy dfs(2);
  CHECK(found_within(dfs, 100));
  // A strand's order is kept under every schedule.
  for (std::uint64_t seed = 0; seed < 100; ++seed)
    CHECK(run_random(on_asio(post_order_on_strand), seed).passed());
}

TEST_CASE("asio: a day of asio timers runs on virtual time in well under a second", "[asio]") {
  const auto wall = std::chrono::steady_clock::now();  // outside the run: the real clock
  const corosim::RunResult run = run_random(on_asio(a_day_of_timers), 7);
  const auto took = std::chrono::steady_clock::now() - wall;
  INFO(message_of(run));
  CHECK(run.passed());
  CHECK(run.time_ns == 24ULL * 3600 * 1'000'000'000);
  CHECK(took < 1s);
}

TEST_CASE("asio: two timers due together complete in either order", "[asio]") {
  bool either = false;
  for (std::uint64_t seed = 0; seed < 100 && !either; ++seed)
    either = !run_random(on_asio(timer_tie), seed).passed();
  CHECK(either);
  CHECK(run_fifo(on_asio(timer_tie)).passed());
}

namespace {

// Two timers 1 ms apart: the later one completes first only if the earlier
// one fires late by more than 1 ms — timer jitter, a decision.
net::awaitable<void> timers_one_ms_apart() {
  auto executor = co_await net::this_coro::executor;
  std::string order;
  auto wait = [&](char name, std::chrono::milliseconds after) -> net::awaitable<void> {
    net::steady_timer timer(executor, after);
    co_await timer.async_wait(net::use_awaitable);
    order += name;
  };
  net::co_spawn(executor, wait('a', 2ms), net::detached);
  net::co_spawn(executor, wait('b', 3ms), net::detached);
  net::steady_timer settle(executor, 1s);
  co_await settle.async_wait(net::use_awaitable);
  CORO_CHECK_MSG(order == "ab", "the later timer completed first");
}

}  // namespace

// Guards the jitter of asio timers (Context's TimerJitter): without it no
// seed shows the later timer first.
TEST_CASE("asio: timer jitter lets an asio timer fire late and replays", "[asio]") {
  corosim::SimOptions jittery;
  jittery.timer_jitter_ns = 5'000'000;
  for (std::uint64_t seed = 0; seed < 100; ++seed)
    CHECK(run_random(on_asio(timers_one_ms_apart), seed).passed());
  std::uint64_t late = 0;
  std::uint64_t failing_seed = 0;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    if (!run_random(on_asio(timers_one_ms_apart), seed, jittery).passed()) {
      if (late++ == 0) failing_seed = seed;
    }
  }
  CHECK(late > 0);
  CHECK(late < 100);
  const corosim::RunResult first = run_random(on_asio(timers_one_ms_apart), failing_seed, jittery);
  const corosim::RunResult again = run_random(on_asio(timers_one_ms_apart), failing_seed, jittery);
  CHECK(!first.passed());
  CHECK(first.trace_hash == again.trace_hash);
}

TEST_CASE("asio: a coroutine waiting on a channel nobody sends to is a deadlock", "[asio]") {
  const corosim::RunResult run = run_random(on_asio(waits_for_nobody), 0);
  CHECK(checker_of(run) == "deadlock");
}

TEST_CASE("asio: an exception escaping the scenario's coroutine is reported", "[asio]") {
  const corosim::RunResult run = run_random(on_asio(throws_from_a_handler), 0);
  CHECK(checker_of(run) == "escaped-exception");
  CHECK_THAT(message_of(run), Catch::Contains("the reply was malformed"));
  CHECK(run.time_ns == 5'000'000);
}

TEST_CASE("asio: the same seed gives the same run", "[asio]") {
  const corosim::RunResult first = run_random(on_asio(post_order_race), 3);
  const corosim::RunResult second = run_random(on_asio(post_order_race), 3);
  CHECK(first.trace_hash == second.trace_hash);
  CHECK(first.decisions == second.decisions);
}

TEST_CASE("asio: a Context outside a simulated run is refused", "[asio]") {
  CHECK_THROWS_AS(corosim::asio::Context(), corosim::UsageError);
}

namespace {

// Starts a read that nothing will satisfy, cancels it through a bound slot
// with `type` after 1 ms, and reports what the read completed with and what
// the stream saw.
struct SlotOutcome {
  net::error_code read_error;
  net::cancellation_type_t stream_saw = net::cancellation_type::none;
  net::error_code timer_error;
  bool read_done = false;
  bool timer_done = false;
};

corosim::MainFactory cancel_through_slots(net::cancellation_type_t type, SlotOutcome& outcome) {
  return [type, &outcome]() {
    return corosim::asio::run([type, &outcome]() -> net::awaitable<void> {
      auto executor = co_await net::this_coro::executor;
      auto [near, far] = corosim::asio::make_stream_pair(executor);
      net::cancellation_signal read_signal;
      net::cancellation_signal timer_signal;
      std::array<char, 4> buffer{};
      near.async_read_some(
          net::buffer(buffer),
          net::bind_cancellation_slot(read_signal.slot(), [&](net::error_code error, std::size_t) {
            outcome.read_error = error;
            outcome.read_done = true;
          }));
      net::steady_timer hour(executor, 1h);
      hour.async_wait(net::bind_cancellation_slot(timer_signal.slot(), [&](net::error_code error) {
        outcome.timer_error = error;
        outcome.timer_done = true;
      }));
      net::steady_timer later(executor, 1ms);
      co_await later.async_wait(net::use_awaitable);
      read_signal.emit(type);
      timer_signal.emit(type);
      later.expires_after(1ms);
      co_await later.async_wait(net::use_awaitable);
      outcome.stream_saw = near.last_cancellation();
    });
  };
}

}  // namespace

TEST_CASE("asio: partial and terminal cancellation reach a stream read and a timer through their slots",
          "[asio][cancel]") {
  for (net::cancellation_type_t type : {net::cancellation_type::partial, net::cancellation_type::terminal}) {
    SlotOutcome outcome;
    const corosim::RunResult run = run_random(cancel_through_slots(type, outcome), 1);
    INFO(message_of(run));
    REQUIRE(run.passed());
    CHECK(outcome.read_done);
    CHECK(outcome.read_error == net::error::operation_aborted);
    CHECK(outcome.stream_saw == type);
    CHECK(outcome.timer_done);
    CHECK(outcome.timer_error == net::error::operation_aborted);
    CHECK(run.time_ns == 2'000'000);  // the hour's timer did not keep the run going
  }
}

TEST_CASE("asio: a stream delivers what was written in pieces and then eof", "[asio]") {
  std::set<std::size_t> first_reads;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    std::string received;
    std::size_t first = 0;
    const corosim::RunResult run = run_random(
        [&]() {
          return corosim::asio::run([&]() -> net::awaitable<void> {
            auto executor = co_await net::this_coro::executor;
            auto [near, far] = corosim::asio::make_stream_pair(executor);
            co_await net::async_write(near, net::buffer(std::string("hello, world")), net::use_awaitable);
            near.shutdown_send();
            std::array<char, 64> buffer{};
            for (;;) {
              auto [error, n] = co_await far.async_read_some(net::buffer(buffer),
                                                             net::experimental::as_tuple(net::use_awaitable));
              if (first == 0) first = n;
              received.append(buffer.data(), n);
              if (error) {
                CORO_CHECK(error == net::error::eof);
                break;
              }
            }
          });
        },
        seed);
    INFO(message_of(run));
    REQUIRE(run.passed());
    CHECK(received == "hello, world");
    first_reads.insert(first);
  }
  CHECK(first_reads.size() > 3);  // the first read's size is a decision
}

namespace {

// What one end receives of "hello, world" written with the given options:
// with write_some (once, ignoring the count) or with async_write; records
// the virtual time the last byte arrived and whether the connection reset.
struct Received {
  std::string bytes;
  std::uint64_t last_arrival_ns = 0;
  bool reset = false;
};

corosim::MainFactory sends_hello(corosim::asio::StreamOptions options, bool write_some, Received& out) {
  return [options, write_some, &out]() {
    return corosim::asio::run([options, write_some, &out]() -> net::awaitable<void> {
      auto executor = co_await net::this_coro::executor;
      auto [near, far] = corosim::asio::make_stream_pair(executor, options);
      const std::string hello = "hello, world";
      net::error_code written;
      if (write_some) {
        std::tie(written, std::ignore) = co_await near.async_write_some(
            net::buffer(hello), net::experimental::as_tuple(net::use_awaitable));
      } else {
        std::tie(written, std::ignore) = co_await net::async_write(
            near, net::buffer(hello), net::experimental::as_tuple(net::use_awaitable));
      }
      if (written) out.reset = true;
      near.shutdown_send();
      std::array<char, 64> buffer{};
      for (;;) {
        auto [error, n] = co_await far.async_read_some(net::buffer(buffer),
                                                       net::experimental::as_tuple(net::use_awaitable));
        out.bytes.append(buffer.data(), n);
        if (n > 0) out.last_arrival_ns = static_cast<std::uint64_t>(corosim::now().count());
        if (error == net::error::connection_reset) out.reset = true;
        if (error) break;
      }
    });
  };
}

}  // namespace

// Guards StreamOptions::partial_writes: a write_some whose count is ignored
// loses the rest on some seeds; async_write never does.
TEST_CASE("asio: a stream write_some may take a prefix and async_write sends it all", "[asio]") {
  std::set<std::size_t> taken;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    Received some;
    REQUIRE(run_random(sends_hello({}, true, some), seed).passed());
    CHECK(std::string("hello, world").starts_with(some.bytes));
    taken.insert(some.bytes.size());
    Received all;
    REQUIRE(run_random(sends_hello({}, false, all), seed).passed());
    CHECK(all.bytes == "hello, world");
  }
  CHECK(taken.size() > 3);
  CHECK(taken.count(12) == 1);
  corosim::asio::StreamOptions whole;
  whole.partial_writes = false;
  Received some;
  REQUIRE(run_random(sends_hello(whole, true, some), 0).passed());
  CHECK(some.bytes == "hello, world");
}

// Guards StreamOptions::latency: bytes arrive 0..latency later, in order.
TEST_CASE("asio: a stream's latency delays arrival by a decided amount and keeps order", "[asio]") {
  corosim::asio::StreamOptions slow;
  slow.latency = 10ms;
  std::set<std::uint64_t> arrivals;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    Received got;
    const corosim::RunResult run = run_random(sends_hello(slow, false, got), seed);
    INFO(message_of(run));
    REQUIRE(run.passed());
    CHECK(got.bytes == "hello, world");
    CHECK(got.last_arrival_ns <= 12 * 10'000'000ULL);  // at most latency per piece, in order
    arrivals.insert(got.last_arrival_ns);
  }
  CHECK(arrivals.size() > 3);
  CHECK(*arrivals.rbegin() > 0);
  Received prompt;
  REQUIRE(run_random(sends_hello({}, false, prompt), 0).passed());
  CHECK(prompt.last_arrival_ns == 0);
}

// Guards StreamOptions::reset_one_in: the network may reset a connection
// mid-transfer, as a replayable decision; without it, it never does.
TEST_CASE("asio: a stream with reset_one_in resets some connections and replays the same", "[asio]") {
  corosim::asio::StreamOptions flaky;
  flaky.reset_one_in = 4;
  std::uint64_t resets = 0;
  for (std::uint64_t seed = 0; seed < 60; ++seed) {
    Received got;
    REQUIRE(run_random(sends_hello(flaky, false, got), seed).passed());
    if (got.reset) {
      ++resets;
      Received again;
      REQUIRE(run_random(sends_hello(flaky, false, again), seed).passed());
      CHECK(again.reset);
      CHECK(again.bytes == got.bytes);
    } else {
      CHECK(got.bytes == "hello, world");
    }
    Received steady;
    REQUIRE(run_random(sends_hello({}, false, steady), seed).passed());
    CHECK_FALSE(steady.reset);
  }
  CHECK(resets > 0);
  CHECK(resets < 60);
}

namespace {

net::awaitable<void> leaves_a_receiver_waiting() {
  auto executor = co_await net::this_coro::executor;
  auto channel = std::make_shared<net::experimental::channel<void(net::error_code, int)>>(executor, 0);
  net::co_spawn(
      executor, [channel]() -> net::awaitable<void> { co_await channel->async_receive(net::use_awaitable); },
      net::detached);
  co_return;
}

net::awaitable<void> sleep_an_hour() {
  net::steady_timer timer(co_await net::this_coro::executor, 1h);
  co_await timer.async_wait(net::use_awaitable);
}

// A correct program: its io_context::run returns after the hour.
net::awaitable<void> leaves_a_sleeper() {
  net::co_spawn(co_await net::this_coro::executor, sleep_an_hour(), net::detached);
  co_return;
}

// The hour passes, and then the receiver still waits.
net::awaitable<void> leaves_a_sleeper_and_a_receiver() {
  net::co_spawn(co_await net::this_coro::executor, sleep_an_hour(), net::detached);
  co_await leaves_a_receiver_waiting();
}

// The spawned coroutine's last completion is still queued when the body
// returns: it runs before the check, as io_context::run would run it.
net::awaitable<void> leaves_a_posted_completion() {
  auto executor = co_await net::this_coro::executor;
  auto [near, far] = corosim::asio::make_stream_pair(executor);
  net::co_spawn(
      executor,
      [&far = far]() -> net::awaitable<void> {
        std::array<char, 8> buffer{};
        auto [error, n] = co_await far.async_read_some(net::buffer(buffer),
                                                       net::experimental::as_tuple(net::use_awaitable));
        (void)error;
        (void)n;
      },
      net::detached);
  net::steady_timer settle(executor, 1ms);
  co_await settle.async_wait(net::use_awaitable);
  near.shutdown_send();  // the reader's eof is posted: it finishes after the body
}

}  // namespace

TEST_CASE("asio: work the body leaves pending is a leak and work it leaves queued or on a timer is not",
          "[asio]") {
  for (auto* body : {leaves_a_receiver_waiting, leaves_a_sleeper_and_a_receiver}) {
    const corosim::RunResult run = run_random(on_asio(body), 0);
    CHECK(checker_of(run) == "leak");
    CHECK_THAT(message_of(run),
               Catch::Contains("asio work still outstanding when the scenario's coroutine finished"));
  }
  CHECK(run_random(on_asio(leaves_a_sleeper_and_a_receiver), 0).time_ns == 3'600'000'000'000);
  // Work on a timer is waited for, as io_context::run waits for it.
  const corosim::RunResult sleeper = run_random(on_asio(leaves_a_sleeper), 0);
  INFO(message_of(sleeper));
  CHECK(sleeper.passed());
  CHECK(sleeper.time_ns == 3'600'000'000'000);
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const corosim::RunResult run = run_random(on_asio(leaves_a_posted_completion), seed);
    INFO(message_of(run));
    CHECK(run.passed());
  }
}

namespace {

net::awaitable<int> nap(std::chrono::milliseconds delay) {
  net::steady_timer timer(co_await net::this_coro::executor, delay);
  co_await timer.async_wait(net::use_awaitable);
  co_return static_cast<int>(delay.count());
}

// && waits for both.
net::awaitable<void> both_naps() {
  using namespace net::experimental::awaitable_operators;
  const std::tuple<int, int> both = co_await (nap(3ms) && nap(1ms));
  CORO_CHECK(std::get<0>(both) == 3 && std::get<1>(both) == 1);
  CORO_CHECK(corosim::now() == 5ms);
}

// parallel_group (wait_for_one cancels the loser through its slot), &&, a
// concurrent_channel, and defer: asio's toolkit under the simulator.
net::awaitable<void> toolkit() {
  auto executor = co_await net::this_coro::executor;
  net::steady_timer fast(executor, 2ms);
  net::steady_timer slow(executor, 1h);
  auto [order, fast_error, slow_error] =
      co_await net::experimental::make_parallel_group([&](auto token) { return fast.async_wait(token); },
                                                      [&](auto token) { return slow.async_wait(token); })
          .async_wait(net::experimental::wait_for_one(), net::use_awaitable);
  CORO_CHECK(order[0] == 0);
  CORO_CHECK(!fast_error);
  CORO_CHECK(slow_error == net::error::operation_aborted);  // the loser, cancelled through its slot
  CORO_CHECK(corosim::now() == 2ms);

  net::experimental::concurrent_channel<void(net::error_code, int)> channel(executor, 1);
  co_await channel.async_send(net::error_code{}, 42, net::use_awaitable);
  CORO_CHECK(co_await channel.async_receive(net::use_awaitable) == 42);

  co_await both_naps();

  int deferred = 0;
  net::defer(executor, [&] { deferred = 1; });
  CORO_CHECK(deferred == 0);  // defer never runs the function inline
  co_await net::post(executor, net::use_awaitable);
  net::steady_timer settle(executor, 1ms);
  co_await settle.async_wait(net::use_awaitable);
  CORO_CHECK(deferred == 1);
}

}  // namespace

TEST_CASE("asio: parallel_group and && and concurrent_channel and defer run under the simulator", "[asio]") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const corosim::RunResult run = run_random(on_asio(toolkit), seed);
    INFO(message_of(run));
    CHECK(run.passed());
  }
}

namespace {

// Where each coroutine waits, as the deadlock report lists it: a stream read
// and a channel receive awaited with tokens that carry their line (the line
// that makes the token), and one awaited with the asio::use_awaitable
// constant, which carries none.
int g_receive_line = 0;
int g_read_line = 0;

net::awaitable<void> waits_on_three_operations() {
  auto executor = co_await net::this_coro::executor;
  using Channel = net::experimental::channel<void(net::error_code, int)>;
  Channel located(executor, 0);
  Channel unlocated(executor, 0);
  g_receive_line = __LINE__ + 1;
  const net::use_awaitable_t<> receive_token;
  net::co_spawn(
      executor, [&]() -> net::awaitable<void> { co_await located.async_receive(receive_token); },
      net::detached);
  net::co_spawn(
      executor, [&]() -> net::awaitable<void> { co_await unlocated.async_receive(net::use_awaitable); },
      net::detached);
  auto [near, far] = corosim::asio::make_stream_pair(executor);
  std::array<char, 4> buffer{};
  g_read_line = __LINE__ + 1;
  const net::use_awaitable_t<> read_token;
  co_await far.async_read_some(net::buffer(buffer), read_token);
}

}  // namespace

// Guards the handler-tracking hooks (asio/tracking.h): without them, or with
// the report not appended, the deadlock names only the scenario's line.
TEST_CASE("asio: a deadlock report lists each pending asio operation and the line that awaits it", "[asio]") {
  const corosim::RunResult run = run_random(on_asio(waits_on_three_operations), 0);
  REQUIRE(checker_of(run) == "deadlock");
  const std::string message = message_of(run);
  INFO(message);
  CHECK_THAT(message, Catch::Contains("3 asio operation(s) pending:"));
  CHECK_THAT(message, Catch::Contains("channel async_receive, awaited at tests/asio/asio_test.cpp:" +
                                      std::to_string(g_receive_line)));
  CHECK_THAT(message, Catch::Contains("corosim::asio::Stream async_read_some, awaited at "
                                      "tests/asio/asio_test.cpp:" +
                                      std::to_string(g_read_line)));
  CHECK_THAT(message, Catch::Contains("\n    channel async_receive\n"));
  CHECK_THAT(message, Catch::Contains("asio::use_awaitable carries no source line"));
}

TEST_CASE("asio: a leak report lists the operation left pending", "[asio]") {
  const corosim::RunResult run = run_random(on_asio(leaves_a_receiver_waiting), 0);
  REQUIRE(checker_of(run) == "leak");
  CHECK_THAT(message_of(run), Catch::Contains("1 asio operation(s) pending:\n    channel async_receive"));
}

namespace {

// The "timer as a condition variable" idiom: a wait until time_point::max()
// that only cancel() ends; notify: a coroutine cancels it 3 ms in.
net::awaitable<void> waits_until_notified(bool notify) {
  auto executor = co_await net::this_coro::executor;
  net::steady_timer signal(executor, net::steady_timer::time_point::max());
  if (notify) {
    net::co_spawn(
        executor,
        [&signal]() -> net::awaitable<void> {
          net::steady_timer later(co_await net::this_coro::executor, 3ms);
          co_await later.async_wait(net::use_awaitable);
          signal.cancel();
        },
        net::detached);
  }
  auto [error] = co_await signal.async_wait(net::experimental::as_tuple(net::use_awaitable));
  CORO_CHECK(error == net::error::operation_aborted);
}

net::awaitable<void> notified() { return waits_until_notified(true); }
net::awaitable<void> never_notified() { return waits_until_notified(false); }

// A detached coroutine left waiting on such a timer when the body returns.
net::awaitable<void> leaves_a_wait_until_cancelled() {
  auto executor = co_await net::this_coro::executor;
  net::co_spawn(
      executor,
      []() -> net::awaitable<void> {
        net::steady_timer signal(co_await net::this_coro::executor, net::steady_timer::time_point::max());
        co_await signal.async_wait(net::use_awaitable);
      },
      net::detached);
  co_return;
}

}  // namespace

// Guards the never-due count in asio/context.cpp: without it, a wait until
// time_point::max() is a pending timer, asio re-arms its reactor every five
// minutes, and the run ends a virtual day later as "budget".
TEST_CASE("asio: a wait until time_point::max that nothing cancels is a deadlock or a leak at once",
          "[asio]") {
  const corosim::RunResult waits = run_random(on_asio(never_notified), 0);
  REQUIRE(checker_of(waits) == "deadlock");
  CHECK(waits.time_ns == 0);
  CHECK_THAT(message_of(waits), Catch::Contains("1 asio operation(s) pending:\n    deadline_timer async_wait "
                                                "(due never: its expiry is time_point::max())"));
  const corosim::RunResult left = run_random(on_asio(leaves_a_wait_until_cancelled), 0);
  REQUIRE(checker_of(left) == "leak");
  CHECK(left.time_ns == 0);
  CHECK_THAT(message_of(left), Catch::Contains("due never"));
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    const corosim::RunResult run = run_random(on_asio(notified), seed);
    INFO(message_of(run));
    CHECK(run.passed());
    CHECK(run.time_ns == 3'000'000);
  }
}

namespace {

// A timer wait bound to a declared canceller's slot, which takes partial and
// total cancellation: what the wait saw, and what the canceller emitted.
net::error_code g_wait_result;
net::cancellation_type_t g_emitted = net::cancellation_type::none;

net::awaitable<void> wait_bound_to_a_canceller() {
  auto executor = co_await net::this_coro::executor;
  corosim::asio::ExternalCanceller client(net::cancellation_type::partial | net::cancellation_type::total);
  net::steady_timer timer(executor, 5ms);
  auto [error] = co_await timer.async_wait(
      net::bind_cancellation_slot(client.slot(), net::experimental::as_tuple(net::use_awaitable)));
  g_wait_result = error;
  g_emitted = client.emitted();
}

// Two deposits and no canceller: nothing may cancel anything.
net::awaitable<void> no_canceller() {
  auto executor = co_await net::this_coro::executor;
  net::steady_timer timer(executor, 5ms);
  co_await timer.async_wait(net::use_awaitable);
}

}  // namespace

// Guards asio/canceller.h and the simulator's external points: the plan
// acting at the point emits a declared type that reaches the operation;
// without a plan, or without a declared canceller, nothing is cancelled.
TEST_CASE("asio: a declared ExternalCanceller emits only when the plan acts and only declared types",
          "[asio]") {
  corosim::SimOptions at_first_point;
  at_first_point.cancel = corosim::CancelPlan::at(0, corosim::CancelMode::drop);
  at_first_point.record_cancel_kinds = true;
  std::set<int> types;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const corosim::RunResult run = run_random(on_asio(wait_bound_to_a_canceller), seed, at_first_point);
    INFO(message_of(run));
    REQUIRE(run.passed());
    CHECK(run.cancel_points >= 1);
    CHECK(run.external_points.front());
    REQUIRE(run.injections.size() == 1);
    CHECK(run.injections.front().outside_fibers);
    CHECK(g_wait_result == net::error::operation_aborted);
    CHECK((g_emitted == net::cancellation_type::partial || g_emitted == net::cancellation_type::total));
    types.insert(static_cast<int>(g_emitted));
  }
  CHECK(types.size() == 2);  // the type is a decision among the declared ones
  const corosim::RunResult unplanned = run_random(on_asio(wait_bound_to_a_canceller), 0);
  REQUIRE(unplanned.passed());
  CHECK(g_wait_result == net::error_code{});
  CHECK(g_emitted == net::cancellation_type::none);
  const corosim::RunResult undeclared = run_random(on_asio(no_canceller), 0, at_first_point);
  CHECK(undeclared.passed());
  CHECK(undeclared.cancel_points == 0);
  CHECK(undeclared.injections.empty());
}

namespace {

// A worker watched by a declared canceller. The stubborn one resets its
// cancellation state and carries on after a cancellation; the polite one
// returns.
template <bool kStubborn>
net::awaitable<void> heartbeat_worker() {
  auto executor = co_await net::this_coro::executor;
  for (int beat = 0; beat < 100; ++beat) {
    net::steady_timer timer(executor, 1s);
    auto [error] = co_await timer.async_wait(net::experimental::as_tuple(net::use_awaitable));
    if (!error) continue;
    if (!kStubborn) co_return;
    co_await net::this_coro::reset_cancellation_state();
  }
}

template <bool kStubborn>
net::awaitable<void> supervise() {
  auto executor = co_await net::this_coro::executor;
  corosim::asio::ExternalCanceller supervisor(net::cancellation_type::terminal);
  bool done = false;
  net::co_spawn(executor, supervisor.watched(heartbeat_worker<kStubborn>()),
                net::bind_cancellation_slot(supervisor.slot(), [&](std::exception_ptr) { done = true; }));
  net::steady_timer wait(executor, 200s);
  co_await wait.async_wait(net::use_awaitable);
  CORO_CHECK_MSG(done, "the worker finished");
}

}  // namespace

// Guards ExternalCanceller::watched and the context's liveness deadline:
// without them the stubborn worker runs its hundred seconds and passes.
TEST_CASE("asio: a watched coroutine that carries on after its cancellation fails with cancel-liveness",
          "[asio]") {
  corosim::SimOptions at_first_point;
  at_first_point.cancel = corosim::CancelPlan::at(0, corosim::CancelMode::drop);
  const corosim::RunResult stubborn = run_random(on_asio(supervise<true>), 0, at_first_point);
  INFO(message_of(stubborn));
  REQUIRE(checker_of(stubborn) == "cancel-liveness");
  CHECK_THAT(message_of(stubborn), Catch::Contains("the coroutine watched by the declared canceller made at "
                                                   "tests/asio/asio_test.cpp"));
  CHECK(stubborn.time_ns == 10'000'000'000);  // cancelled at 0 ms, reported 10 s later
  const corosim::RunResult polite = run_random(on_asio(supervise<false>), 0, at_first_point);
  INFO(message_of(polite));
  CHECK(polite.passed());
  CHECK(polite.injections.size() == 1);
  CHECK(run_random(on_asio(supervise<true>), 0).passed());  // never cancelled: nothing to watch
  corosim::SimOptions unbounded = at_first_point;
  unbounded.stop_max_ns = 0;  // the checker off: the stubborn worker runs its hundred beats
  const corosim::RunResult off = run_random(on_asio(supervise<true>), 0, unbounded);
  INFO(message_of(off));
  CHECK(checker_of(off) != "cancel-liveness");
}
