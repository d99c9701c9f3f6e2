// The mistakes a new user makes, each met with a message that says what to do:
// a Task never awaited, corosim used outside any executor, real time or a
// real sleep inside a simulation.
#include <catch2/catch.hpp>
#include <chrono>
#include <coroutine>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using Catch::Matchers::Contains;
using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

namespace {

bool saved = false;
Task<void> save_record() {
  saved = true;
  co_return;
}

Task<void> forgets_co_await() {
  co_await corosim::yield_now();
  auto pending = save_record();  // the co_await is missing
  co_return;
}

Task<void> creates_then_sleeps() {
  auto later = save_record();
  co_await corosim::sleep_for(1s);
  co_await std::move(later);
}

Task<void> creates_then_throws() {
  auto later = save_record();
  co_await corosim::yield_now();
  throw std::runtime_error("failed before the await");
  co_await std::move(later);
}

// A coroutine of another library: starts at once, keeps its exception. Used to
// await a corosim Task outside any executor.
struct Foreign {
  struct promise_type {
    std::exception_ptr error;
    Foreign get_return_object() { return Foreign{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
  };
  std::coroutine_handle<promise_type> handle;
  Foreign(const Foreign&) = delete;
  explicit Foreign(std::coroutine_handle<promise_type> h) : handle(h) {}
  ~Foreign() { handle.destroy(); }
};

Task<int> sleeps_then_answers() {
  co_await corosim::yield_now();
  co_return 42;
}

Foreign awaits_corosim_task(std::string* error) {
  try {
    (void)co_await sleeps_then_answers();
  } catch (const corosim::UsageError& e) {
    *error = e.what();
  }
}

Foreign awaits_event_directly(corosim::Event& event, std::string* error) {
  try {
    co_await event.wait();  // no Task in between: no hook to check first
  } catch (const corosim::UsageError& e) {
    *error = e.what();
  }
}

Task<void> reads_its_stop_token() {
  const std::stop_token token = co_await corosim::this_stop_token();
  CORO_CHECK(!token.stop_requested());
}

Foreign awaits_stop_token_task(std::string* error) {
  try {
    co_await reads_its_stop_token();
  } catch (const corosim::UsageError& e) {
    *error = e.what();
  }
}

}  // namespace

TEST_CASE("a Task created and never awaited fails the run with unawaited-task", "[mistakes]") {
  saved = false;
  auto result = run_fifo([]() -> Task<void> { co_await forgets_co_await(); });
  REQUIRE(checker_of(result) == "unawaited-task");
  REQUIRE_THAT(message_of(result), Contains("save_record") && Contains("never ran") &&
                                       Contains("missing co_await") && Contains("corosim::discard"));
  // Reported where the fiber stood (its last suspension point), on every compiler.
  REQUIRE(result.failure->location.line() != 0);
  REQUIRE(std::string(result.failure->location.base_name()) == "mistakes_test.cpp");
  REQUIRE_FALSE(saved);
}

TEST_CASE("corosim::discard drops a Task on purpose without a report", "[mistakes]") {
  auto result = run_fifo([]() -> Task<void> {
    corosim::discard(save_record());
    co_return;
  });
  REQUIRE(result.passed());
}

TEST_CASE("a Task dropped with its cancelled fiber or by an exception is not unawaited", "[mistakes]") {
  auto dropped = run_fifo([]() -> Task<void> {
    const bool finished = co_await corosim::timeout(5ms, creates_then_sleeps());
    CORO_CHECK(!finished);
  });
  REQUIRE(dropped.passed());

  auto unwound = run_fifo([]() -> Task<void> {
    bool threw = false;
    try {
      co_await creates_then_throws();
    } catch (const std::runtime_error&) {
      threw = true;
    }
    CORO_CHECK(threw);
  });
  REQUIRE(unwound.passed());
}

TEST_CASE("a Task that is awaited or spawned or moved and then awaited is never unawaited", "[mistakes]") {
  auto result = run_fifo([]() -> Task<void> {
    co_await save_record();
    auto handle = corosim::spawn(save_record());
    co_await handle;
    auto first = save_record();
    auto second = std::move(first);
    co_await std::move(second);
  });
  REQUIRE(result.passed());
}

TEST_CASE("spawn() outside any executor throws a UsageError that says where to run it", "[mistakes]") {
  const auto frames_before = corosim::detail::frames_live();
  std::string error;
  int line = 0;
  try {
    line = __LINE__ + 1;
    (void)corosim::spawn(save_record());
  } catch (const corosim::UsageError& e) {
    error = e.what();
  }
  REQUIRE_THAT(error, Contains("spawn() at") && Contains("mistakes_test.cpp:" + std::to_string(line)));
  REQUIRE_THAT(error, Contains("no corosim executor") && Contains("CORO_SCENARIO"));
  // The task's frame went with it, as did the root frame of a spawned
  // callable (both once leaked: released from their owner before the throw).
  CHECK(corosim::detail::frames_live() == frames_before);
  CHECK_THROWS_AS(corosim::spawn([]() -> Task<int> { co_return 1; }), corosim::UsageError);
  CHECK(corosim::detail::frames_live() == frames_before);
}

TEST_CASE("now() and random() and sleep_for() outside any executor throw UsageError", "[mistakes]") {
  REQUIRE_THROWS_WITH(corosim::now(), Contains("corosim::now() at") && Contains("mistakes_test.cpp") &&
                                          Contains("no corosim executor"));
  REQUIRE_THROWS_WITH((void)corosim::sleep_for(1ms),
                      Contains("corosim::now() at") && Contains("mistakes_test.cpp"));
  REQUIRE_THROWS_WITH(corosim::random(6), Contains("corosim::random()") && Contains("no corosim executor"));
}

TEST_CASE("a corosim Task awaited by another library's coroutine outside a run gets UsageError",
          "[mistakes]") {
  std::string error;
  {
    Foreign outside = awaits_corosim_task(&error);
    REQUIRE(outside.handle.done());
    REQUIRE_FALSE(outside.handle.promise().error);
  }
  REQUIRE_THAT(error, Contains("a co_await inside a corosim::Task at") && Contains("mistakes_test.cpp") &&
                          Contains("no corosim executor"));
}

namespace {

Task<void> sleeps_the_thread() {
  co_await corosim::yield_now();
  std::this_thread::sleep_for(1ms);
}

Task<void> reads_the_clock() {
  co_await corosim::yield_now();
  const auto started = std::chrono::steady_clock::now();
  co_await corosim::sleep_for(5ms);
  CORO_CHECK(std::chrono::steady_clock::now() >= started);
}

}  // namespace

TEST_CASE("a real sleep inside a simulation fails the run with real-time", "[mistakes]") {
  auto result = run_fifo([]() -> Task<void> { co_await sleeps_the_thread(); });
  REQUIRE(checker_of(result) == "real-time");
  REQUIRE_THAT(message_of(result),
               Contains("slept the thread with nanosleep()") && Contains("co_await corosim::sleep_for(d)"));
  REQUIRE(std::string(result.failure->location.base_name()) == "mistakes_test.cpp");
  // Where the fiber last suspended: the yield_now before the sleep.
  auto again = run_fifo([]() -> Task<void> { co_await sleeps_the_thread(); });
  REQUIRE(again.failure->location.line() == result.failure->location.line());
}

TEST_CASE("reading the real clock inside a simulation fails the run with real-time", "[mistakes]") {
  auto chrono = run_fifo([]() -> Task<void> { co_await reads_the_clock(); });
  REQUIRE(checker_of(chrono) == "real-time");
  REQUIRE_THAT(message_of(chrono), Contains("read the real clock with clock_gettime()") &&
                                       Contains("corosim::now()") && Contains("RealTimeAllowed") &&
                                       Contains("corosim::VirtualClock"));

  auto c_time = run_fifo([]() -> Task<void> {
    co_await corosim::yield_now();
    CORO_CHECK(::time(nullptr) > 0);
  });
  REQUIRE(checker_of(c_time) == "real-time");
  REQUIRE_THAT(message_of(c_time), Contains("with time()"));

  // Reported at the end of the step that read it: the run stops there.
  auto early = run_fifo([]() -> Task<void> {
    CORO_CHECK(::time(nullptr) > 0);
    for (int i = 0; i < 100; ++i) co_await corosim::yield_now();
  });
  REQUIRE(checker_of(early) == "real-time");
  REQUIRE(early.steps < 10);
}

TEST_CASE("real time is allowed inside RealTimeAllowed and outside a run", "[mistakes]") {
  auto allowed = run_fifo([]() -> Task<void> {
    const corosim::RealTimeAllowed logging_timestamps;
    co_await reads_the_clock();
    std::this_thread::sleep_for(1us);
  });
  REQUIRE(allowed.passed());

  // Outside a run the calls are the C library's: the clock moves, sleeps sleep.
  const auto before = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(2ms);
  REQUIRE(std::chrono::steady_clock::now() - before >= 2ms);
  // And the next run is not blamed for them.
  auto after = run_fifo([]() -> Task<void> { co_await corosim::sleep_for(1s); });
  REQUIRE(after.passed());
}

// Guards VirtualClock outside asio: a native scenario that holds one reads
// std::chrono's clocks as the run's virtual time, deterministically, and is
// not reported; once it is gone, a read is reported again.
TEST_CASE("a VirtualClock in a native scenario gives std::chrono's clocks the run's time", "[mistakes]") {
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    auto ported = run_random(
        []() -> Task<void> {
          const corosim::VirtualClock clock;
          const auto started = std::chrono::steady_clock::now();
          const auto wall = std::chrono::system_clock::now();
          co_await corosim::sleep_for(250ms);
          CORO_CHECK(std::chrono::steady_clock::now() - started == 250ms);
          CORO_CHECK(std::chrono::system_clock::now() - wall == 250ms);
          CORO_CHECK(std::chrono::duration_cast<std::chrono::seconds>(wall.time_since_epoch()).count() ==
                     corosim::VirtualClock::kRealtimeBaseSeconds);
        },
        seed);
    INFO(message_of(ported));
    REQUIRE(ported.passed());
  }
  auto after = run_fifo([]() -> Task<void> {
    {
      const corosim::VirtualClock clock;
    }
    co_await reads_the_clock();
  });
  REQUIRE(checker_of(after) == "real-time");
}

TEST_CASE("the real-time event loop reads and sleeps real time without a report", "[mistakes]") {
  corosim::EventLoop loop;
  REQUIRE_NOTHROW(loop.run(sleeps_the_thread()));
  REQUIRE_NOTHROW(loop.run(reads_the_clock()));
}

TEST_CASE("corosim primitives awaited by another library's coroutine outside a run get UsageError",
          "[mistakes]") {
  corosim::Event event;
  std::string event_error;
  std::string token_error;
  {
    Foreign waits = awaits_event_directly(event, &event_error);
    Foreign reads = awaits_stop_token_task(&token_error);
    REQUIRE(waits.handle.done());
    REQUIRE(reads.handle.done());
  }
  REQUIRE_THAT(event_error, Contains("event wait") && Contains("no corosim executor"));
  REQUIRE_THAT(token_error, Contains("this_stop_token()") && Contains("no corosim executor"));
}
