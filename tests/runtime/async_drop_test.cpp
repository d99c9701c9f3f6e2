// Async drop and structured concurrency: scoped/with_resource always finish
// async_close before the holder completes; the detached-cleanup,
// detached-fiber, async-drop and use-after-close checkers.
#include "corosim/runtime/async_drop.h"

#include <catch2/catch.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

namespace {

// A single-handle engine (like sqlite): opening while a handle is open fails.
struct Engine {
  bool open = false;
  int closes = 0;
};

class Handle : public corosim::AsyncResource {
 public:
  explicit Handle(Engine& engine, std::source_location where = std::source_location::current())
      : corosim::AsyncResource(where), engine_(&engine) {
    if (engine.open) throw std::runtime_error("database is locked");
    engine.open = true;
  }
  Handle(Handle&&) noexcept = default;

  Task<int> query() {
    ensure_open();
    co_await corosim::sleep_for(1ms);
    co_return 7;
  }
  Task<void> async_close() {
    co_await corosim::sleep_for(2ms);  // flush, then release the file
    co_await corosim::yield_now();
    engine_->open = false;
    ++engine_->closes;
    mark_closed();
  }

 private:
  Engine* engine_;
};

// Spawns its own close from its destructor: the seed's sqlite story.
class LeakyHandle {
 public:
  explicit LeakyHandle(Engine& engine) : engine_(&engine) { engine.open = true; }
  LeakyHandle(const LeakyHandle&) = delete;
  ~LeakyHandle() {
    spawn_line = __LINE__ + 1;
    corosim::spawn(close(engine_)).detach(corosim::Outlive::allowed);
  }
  static Task<void> close(Engine* engine) {
    co_await corosim::sleep_for(2ms);
    engine->open = false;
  }
  static inline int spawn_line = 0;

 private:
  Engine* engine_;
};

Task<void> nap(corosim::Duration d) { co_await corosim::sleep_for(d); }

Task<void> use_leaky(Engine& engine) {
  LeakyHandle handle(engine);
  co_await corosim::sleep_for(1ms);
  co_return;  // explicit: the locals die after return_void (falling off the end, before)
}

// An AsyncResource whose destructor spawns its own close: caught on every path.
class LeakyResource : public corosim::AsyncResource {
 public:
  explicit LeakyResource(Engine& engine) : engine_(&engine) { engine.open = true; }
  ~LeakyResource() { corosim::spawn(LeakyHandle::close(engine_)).detach(corosim::Outlive::allowed); }
  Task<void> async_close() {
    co_await LeakyHandle::close(engine_);
    mark_closed();
  }

 private:
  Engine* engine_;
};

Task<void> use_leaky_resource(Engine& engine) {
  LeakyResource resource(engine);
  co_await corosim::sleep_for(1ms);
}

}  // namespace

TEST_CASE("with_resource awaits async_close after the body so a reopen succeeds", "[async_drop]") {
  Engine engine;
  auto result = run_random(
      [&]() -> Task<void> {
        auto body = [](Handle& handle) -> Task<int> { co_return co_await handle.query(); };
        for (int i = 0; i < 3; ++i) {
          int value = co_await corosim::with_resource(Handle(engine), body);
          CORO_CHECK(value == 7);
          CORO_CHECK_MSG(!engine.open, "with_resource returned before the close finished");
        }
      },
      5);
  REQUIRE(result.passed());
  REQUIRE(engine.closes == 3);
}

TEST_CASE("with_resource closes when the body throws and then rethrows", "[async_drop]") {
  Engine engine;
  std::string caught;
  auto result = run_fifo([&]() -> Task<void> {
    auto body = [](Handle&) -> Task<void> {
      co_await corosim::yield_now();
      throw std::runtime_error("query failed");
    };
    try {
      co_await corosim::with_resource(Handle(engine), body);
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    CORO_CHECK(!engine.open);
  });
  REQUIRE(result.passed());
  REQUIRE(caught == "query failed");
}

TEST_CASE("a scoped resource whose holder is drop-cancelled is closed before the holder completes",
          "[async_drop][cancel]") {
  Engine engine;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::TaskScope scope;
    scope.spawn([&engine]() -> Task<void> {
      auto handle = co_await corosim::scoped(Handle(engine));
      co_await corosim::sleep_for(1s);  // cancelled here
    });
    co_await corosim::sleep_for(1ms);
    scope.cancel();
    co_await scope.join();  // the child completes only once its close has finished
    CORO_CHECK_MSG(!engine.open, "the scope completed before the async drop finished");
    CORO_CHECK(corosim::now() == 3ms);
    Handle reopened(engine);  // would throw "database is locked"
    co_await corosim::with_resource(std::move(reopened), [](Handle&) -> Task<void> { co_return; });
  });
  REQUIRE(result.passed());
  REQUIRE(engine.closes == 2);
}

TEST_CASE("a JoinHandle of a cancelled holder resolves only after the handed-off close",
          "[async_drop][cancel]") {
  Engine engine;
  auto result = run_fifo([&]() -> Task<void> {
    auto holder = corosim::spawn([&engine]() -> Task<void> {
      auto handle = co_await corosim::scoped(Handle(engine));
      co_await corosim::sleep_for(1s);
    });
    co_await corosim::sleep_for(1ms);
    holder.cancel();
    CORO_CHECK(!holder.is_finished());  // closing: its cleanup runs
    bool cancelled = false;
    try {
      co_await holder;
    } catch (const corosim::Cancelled&) {
      cancelled = true;
    }
    CORO_CHECK(cancelled);
    CORO_CHECK(!engine.open);
  });
  REQUIRE(result.passed());
}

// A holder of a scoped Handle that would keep it 1s: it loses every race.
Task<int> hold_for_a_second(Engine& engine) {
  auto handle = co_await corosim::scoped(Handle(engine));
  co_await corosim::sleep_for(1s);
  co_return 1;
}

TEST_CASE("timeout and select and run_until_cancelled return only after a dropped holder's close",
          "[async_drop][cancel]") {
  const auto scenario = [](Engine& engine) -> Task<void> {
    std::optional<int> timed = co_await corosim::timeout(1ms, hold_for_a_second(engine));
    CORO_CHECK(!timed);
    CORO_CHECK_MSG(!engine.open, "timeout returned while the loser's close still ran");
    CORO_CHECK(corosim::now() == 3ms);  // 1 ms, then the 2 ms close
    auto raced = co_await corosim::select(hold_for_a_second(engine), nap(1ms));
    CORO_CHECK(raced.index() == 1);
    CORO_CHECK_MSG(!engine.open, "select returned while the loser's close still ran");
    CORO_CHECK(corosim::now() == 6ms);
    corosim::CancellationToken root;
    std::optional<int> run =
        co_await corosim::run_until_cancelled(root.child_with_timeout(1ms), hold_for_a_second(engine));
    CORO_CHECK(!run);
    CORO_CHECK_MSG(!engine.open, "run_until_cancelled returned while the loser's close still ran");
    CORO_CHECK(corosim::now() == 9ms);
  };
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Engine engine;
    auto result = run_random([&] { return scenario(engine); }, seed);
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(result.passed());
    REQUIRE(engine.closes == 3);
  }
}

Task<bool> holder_under_its_own_timeout(Engine& engine) {
  std::optional<int> got = co_await corosim::timeout(20ms, hold_for_a_second(engine));
  co_return got.has_value();
}

Task<int> throw_after_a_millisecond() {
  co_await corosim::sleep_for(1ms);
  throw std::runtime_error("member failed");
}

TEST_CASE("an outer timeout and a failing join_all wait for the close of a holder nested in what they drop",
          "[async_drop][cancel]") {
  Engine engine;
  auto result = run_random(
      [&]() -> Task<void> {
        // The outer timeout drops the inner one, whose chain drops the holder.
        std::optional<bool> outer = co_await corosim::timeout(1ms, holder_under_its_own_timeout(engine));
        CORO_CHECK(!outer);
        CORO_CHECK_MSG(!engine.open, "the outer timeout returned while the nested holder's close still ran");
        CORO_CHECK(corosim::now() == 3ms);
        std::vector<Task<int>> members;
        members.push_back(hold_for_a_second(engine));
        members.push_back(throw_after_a_millisecond());
        std::string caught;
        try {
          co_await corosim::join_all(std::move(members));
        } catch (const std::runtime_error& e) {
          caught = e.what();
        }
        CORO_CHECK(caught == "member failed");
        CORO_CHECK_MSG(!engine.open, "join_all rethrew while the dropped holder's close still ran");
        CORO_CHECK(corosim::now() == 6ms);
      },
      3);
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(engine.closes == 2);
}

TEST_CASE("a fiber that drops a holder's handle completes only after the holder's close",
          "[async_drop][cancel]") {
  Engine engine;
  auto result = run_fifo([&]() -> Task<void> {
    auto dropper = corosim::spawn([&engine]() -> Task<void> {
      auto holder = corosim::spawn(hold_for_a_second(engine));
      co_await corosim::sleep_for(1ms);
      co_return;  // the handle goes: the holder is dropped, its close begins
    });
    co_await dropper;
    CORO_CHECK_MSG(!engine.open, "the dropper completed while the close it caused still ran");
    CORO_CHECK(corosim::now() == 3ms);
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(engine.closes == 1);
}

TEST_CASE("async_close runs shielded: random injected cancellation never cuts it short",
          "[async_drop][cancel]") {
  std::uint64_t cancelled = 0;  // runs where an injected cancellation landed
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Engine engine;
    corosim::SimOptions options;
    options.cancel =
        corosim::CancelPlan::random({corosim::CancelMode::drop, corosim::CancelMode::stop,
                                     corosim::CancelMode::prompt, corosim::CancelMode::interrupt});
    auto result = run_random(
        [&]() -> Task<void> {
          auto use = [&engine]() -> Task<void> {
            auto handle = co_await corosim::scoped(Handle(engine));
            int value = co_await handle->query();
            CORO_CHECK(value == 7);
            co_await handle.close();
          };
          co_await corosim::cancellable(use());
          CORO_CHECK_MSG(!engine.open, "the handle was left open");
        },
        seed, options);
    INFO("seed " << seed << ": " << message_of(result));
    REQUIRE(result.passed());
    if (result.cancelled()) ++cancelled;
  }
  // Otherwise the loop proves nothing: no cancellation, nothing to cut short.
  CHECK(cancelled >= 10);
}

TEST_CASE("use-after-close: using a closed guard or resource is reported where it is used", "[async_drop]") {
  Engine engine;
  int use_line = 0;
  auto result = run_fifo([&]() -> Task<void> {
    auto handle = co_await corosim::scoped(Handle(engine));
    co_await handle.close();
    use_line = __LINE__ + 1;
    int value = co_await handle.get().query();
    (void)value;
  });
  REQUIRE(checker_of(result) == "use-after-close");
  REQUIRE(result.failure->location.line() == static_cast<std::uint32_t>(use_line));
  // Through operator->, and through the resource's own ensure_open().
  auto arrow = run_fifo([&]() -> Task<void> {
    auto handle = co_await corosim::scoped(Handle(engine));
    co_await handle.close();
    int value = co_await handle->query();
    (void)value;
  });
  REQUIRE(checker_of(arrow) == "use-after-close");
  auto own = run_fifo([&]() -> Task<void> {
    Handle handle(engine);
    co_await handle.async_close();
    int value = co_await handle.query();
    (void)value;
  });
  REQUIRE(checker_of(own) == "use-after-close");
}

TEST_CASE("async-drop: a resource destroyed open without scoped is reported", "[async_drop]") {
  Engine engine;
  auto result = run_fifo([&]() -> Task<void> {
    Handle handle(engine);
    co_await corosim::yield_now();
  });
  REQUIRE(checker_of(result) == "async-drop");
  REQUIRE(message_of(result).find("was destroyed while open") != std::string::npos);
}

TEST_CASE("detached-cleanup: a spawn from a destructor is reported at the spawn", "[async_drop][structure]") {
  SECTION("on a Task's return") {
    Engine engine;
    auto result = run_fifo([&]() -> Task<void> { co_await use_leaky(engine); });
    INFO(message_of(result));
    REQUIRE(checker_of(result) == "detached-cleanup");
    REQUIRE(result.failure->location.line() == static_cast<std::uint32_t>(LeakyHandle::spawn_line));
    REQUIRE(message_of(result).find("destroying its locals on return") != std::string::npos);
  }
  SECTION("from an AsyncResource's destructor when a void Task flows off its end") {
    Engine engine;
    auto result = run_fifo([&]() -> Task<void> { co_await use_leaky_resource(engine); });
    REQUIRE(checker_of(result) == "detached-cleanup");
    REQUIRE(message_of(result).find("was destroyed while open, and fiber 0 had just spawned fiber 1") !=
            std::string::npos);
  }
  SECTION("while its holder is dropped") {
    Engine engine;
    auto result = run_fifo([&]() -> Task<void> {
      auto holder = corosim::spawn(use_leaky(engine));
      co_await corosim::yield_now();
      holder.cancel();
      co_await corosim::sleep_for(5ms);
    });
    REQUIRE(checker_of(result) == "detached-cleanup");
    REQUIRE(message_of(result).find("its chain was being dropped") != std::string::npos);
  }
  SECTION("while an exception unwinds") {
    Engine engine;
    auto result = run_fifo([&]() -> Task<void> {
      try {
        LeakyHandle handle(engine);
        co_await corosim::yield_now();
        throw std::runtime_error("fail");
      } catch (const std::runtime_error&) {
      }
      co_await corosim::sleep_for(5ms);
    });
    REQUIRE(checker_of(result) == "detached-cleanup");
    REQUIRE(message_of(result).find("an exception was unwinding") != std::string::npos);
  }
}

TEST_CASE("spawning into a TaskScope from a destructor is structured and not reported", "[structure]") {
  struct Notifier {
    corosim::TaskScope* scope;
    int* notified;
    ~Notifier() {
      scope->spawn([n = notified]() -> Task<void> {
        co_await corosim::yield_now();
        ++*n;
      });
    }
  };
  int notified = 0;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::TaskScope scope;
    auto user = [&]() -> Task<void> {
      Notifier notifier{&scope, &notified};
      co_await corosim::yield_now();
    };
    co_await user();
    co_await scope.join();
  });
  REQUIRE(result.passed());
  REQUIRE(notified == 1);
}

TEST_CASE("detached-fiber: a detached fiber still running after the fiber that detached it ended",
          "[structure]") {
  auto program = [](corosim::Outlive outlive) {
    return [outlive]() -> Task<void> {
      auto handler = corosim::spawn([outlive]() -> Task<void> {
        corosim::spawn_detached(nap(5ms), outlive);
        co_await corosim::sleep_for(1ms);
      });
      co_await handler;
      co_await corosim::sleep_for(10ms);  // the detached fiber finishes before main
    };
  };
  auto outlived = run_fifo(program(corosim::Outlive::forbidden));
  REQUIRE(checker_of(outlived) == "detached-fiber");
  REQUIRE(message_of(outlived).find("was detached by fiber 1") != std::string::npos);
  REQUIRE(run_fifo(program(corosim::Outlive::allowed)).passed());

  auto short_lived = run_fifo([]() -> Task<void> {
    auto handler = corosim::spawn([]() -> Task<void> {
      corosim::spawn_detached(nap(1ms));
      co_await corosim::sleep_for(5ms);
    });
    co_await handler;
  });
  REQUIRE(short_lived.passed());
}

// Untraced, most events are only counted: a fiber's return or drop must still
// reach the check of what it detached.
TEST_CASE("detached-fiber: a run without its trace checks the detacher whether it returns or is dropped",
          "[structure]") {
  corosim::SimOptions untraced;
  untraced.record_trace = false;
  auto returned = run_fifo(
      []() -> Task<void> {
        auto handler = corosim::spawn([]() -> Task<void> {
          corosim::spawn_detached(nap(5ms));
          co_await corosim::sleep_for(1ms);
        });
        co_await handler;
        co_await corosim::sleep_for(10ms);
      },
      untraced);
  CHECK(checker_of(returned) == "detached-fiber");
  auto dropped = run_fifo(
      []() -> Task<void> {
        auto handler = corosim::spawn([]() -> Task<void> {
          corosim::spawn_detached(nap(5ms));
          co_await corosim::sleep_for(3ms);
        });
        co_await corosim::sleep_for(2ms);
        handler.cancel();
        co_await corosim::sleep_for(10ms);
      },
      untraced);
  CHECK(checker_of(dropped) == "detached-fiber");
  CHECK_THAT(message_of(dropped), Catch::Contains("was detached by fiber 1"));
}
