#include "corosim/runtime/spawn.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <source_location>
#include <stdexcept>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::DropFlag;
using corosim::testing::run_fifo;

TEST_CASE("spawn runs a fiber and the JoinHandle gives its value", "[spawn]") {
  int got = 0;
  auto result = run_fifo([&]() -> Task<void> {
    auto handle = corosim::spawn([]() -> Task<int> {
      co_await corosim::yield_now();
      co_return 7;
    });
    got = co_await handle;
  });
  REQUIRE(result.passed());
  REQUIRE(got == 7);
  REQUIRE(result.fibers == 2);
}

TEST_CASE("spawn starts the fiber on a later step and never inline", "[spawn]") {
  std::vector<std::string> order;
  auto result = run_fifo([&]() -> Task<void> {
    auto handle = corosim::spawn([&]() -> Task<void> {
      order.push_back("child");
      co_return;
    });
    order.push_back("parent");
    co_await handle;
  });
  REQUIRE(result.passed());
  REQUIRE(order == std::vector<std::string>{"parent", "child"});
}

TEST_CASE("a capturing lambda stays alive for the whole fiber (co_invoke)", "[spawn]") {
  std::string seen;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::JoinHandle<void> handle;
    {
      std::string local = "captured by value";
      handle = corosim::spawn([&seen, local]() -> Task<void> {
        co_await corosim::yield_now();
        co_await corosim::yield_now();
        seen = local;  // the lambda object must still be alive here
      });
    }  // the spawning scope and its lambda temporary are gone
    co_await handle;
  });
  REQUIRE(result.passed());
  REQUIRE(seen == "captured by value");
}

TEST_CASE("spawn with arguments moves them into the fiber", "[spawn]") {
  int got = 0;
  auto result = run_fifo([&]() -> Task<void> {
    auto add = [](int a, int b) -> Task<int> {
      co_await corosim::yield_now();
      co_return a + b;
    };
    got = co_await corosim::spawn(add, 2, 3);
  });
  REQUIRE(result.passed());
  REQUIRE(got == 5);
}

TEST_CASE("a fiber spawned with arguments records the line that spawned it", "[spawn]") {
  std::vector<std::uint32_t> lines;
  std::uint32_t expected_free = 0;
  std::uint32_t expected_scope = 0;
  auto result = run_fifo([&]() -> Task<void> {
    auto where = [&](int, int) -> Task<void> {
      lines.push_back(corosim::current_fiber()->spawned_at.line());
      co_return;
    };
    expected_free = std::source_location::current().line() + 1;
    co_await corosim::spawn(where, 1, 2);
    corosim::TaskScope scope;
    expected_scope = std::source_location::current().line() + 1;
    scope.spawn(where, 3, 4);
    co_await scope.join();
  });
  REQUIRE(result.passed());
  REQUIRE(lines == std::vector<std::uint32_t>{expected_free, expected_scope});
}

namespace {

// main's local: teardown must not destroy it while a fiber still refers to it.
struct MainLocal {
  bool* alive;
  int uses = 0;
  explicit MainLocal(bool* flag) : alive(flag) { *alive = true; }
  ~MainLocal() { *alive = false; }
};

// Held in the leaked fiber's frame; its destructor touches main's local (a
// use-after-free under ASan if main's frame went first).
struct TouchesMainLocal {
  MainLocal* local;
  bool* alive_when_dropped;
  ~TouchesMainLocal() {
    *alive_when_dropped = *local->alive;
    ++local->uses;
  }
};

}  // namespace

TEST_CASE("teardown drops a leaked fiber before the main frame it refers to", "[spawn][teardown]") {
  bool main_local_alive = false;
  bool alive_when_dropped = false;
  auto result = run_fifo([&]() -> Task<void> {
    MainLocal local(&main_local_alive);
    corosim::Event never;
    corosim::spawn([&local, &alive_when_dropped, &never]() -> Task<void> {
      TouchesMainLocal guard{&local, &alive_when_dropped};
      co_await never.wait();
    }).detach(corosim::Outlive::allowed);
    co_await never.wait();  // a deadlock: the run ends with both suspended
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE(alive_when_dropped);
  REQUIRE_FALSE(main_local_alive);
}

TEST_CASE("teardown drops a fiber whose own chain holds its handle", "[spawn][teardown]") {
  struct Holder {
    corosim::JoinHandle<void> handle;
  };
  corosim::Event never;
  auto result = run_fifo([&]() -> Task<void> {
    auto holder = std::make_shared<Holder>();
    holder->handle = corosim::spawn([keep = holder, &never]() -> Task<void> { co_await never.wait(); });
    holder.reset();  // the fiber's frame holds the last reference to its own handle
    co_return;
  });
  // Freed once, when its drop is over: a second free corrupted the fiber table.
  REQUIRE(checker_of(result) == "leak");
  auto again = run_fifo([]() -> Task<void> { co_await corosim::yield_now(); });
  REQUIRE(again.passed());
}

TEST_CASE("a fiber's exception reaches whoever awaits its handle", "[spawn]") {
  std::string caught;
  auto result = run_fifo([&]() -> Task<void> {
    auto handle = corosim::spawn([]() -> Task<int> {
      co_await corosim::yield_now();
      throw std::logic_error("child failed");
    });
    try {
      co_await handle;
    } catch (const std::logic_error& e) {
      caught = e.what();
    }
  });
  REQUIRE(result.passed());
  REQUIRE(caught == "child failed");
}

namespace {
// Each takes a resource by value; its frame holds the parameter until the
// frame is destroyed.
Task<void> holds_void(std::shared_ptr<int> resource) {
  co_await corosim::yield_now();
  CORO_CHECK(*resource == 1);
}
Task<void> holds_then_throws(std::shared_ptr<int> resource) {
  co_await corosim::yield_now();
  throw std::runtime_error("thrown with " + std::to_string(*resource));
}
Task<int> holds_int(std::shared_ptr<int> resource) {
  co_await corosim::yield_now();
  co_return *resource + 41;
}

// Yields until the fiber has finished, without joining it.
template <class T>
Task<void> until_finished(const corosim::JoinHandle<T>& handle) {
  while (!handle.is_finished()) co_await corosim::yield_now();
}
}  // namespace

// A finished fiber keeps its result, not its resources: a spawned Task's
// parameters die as the fiber ends, while its handle still holds the value or
// the exception (a Task<void> is the fiber's root frame itself, a Task<int>
// is wrapped; both must behave alike).
TEST_CASE("a spawned Task's parameters die as its fiber finishes and its result stays", "[spawn]") {
  std::vector<long> uses_after_finish;
  int value = 0;
  std::string caught;
  auto result = run_fifo([&]() -> Task<void> {
    auto resource = std::make_shared<int>(1);
    auto plain = corosim::spawn(holds_void(resource));
    auto throwing = corosim::spawn(holds_then_throws(resource));
    auto valued = corosim::spawn(holds_int(resource));
    CORO_CHECK(resource.use_count() == 4);
    co_await until_finished(plain);
    co_await until_finished(throwing);
    co_await until_finished(valued);
    uses_after_finish.push_back(resource.use_count());
    co_await plain;
    try {
      co_await throwing;
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    value = co_await valued;
  });
  REQUIRE(result.passed());
  REQUIRE(uses_after_finish == std::vector<long>{1});
  REQUIRE(caught == "thrown with 1");
  REQUIRE(value == 42);
}

TEST_CASE("a spawned Task's exception that nobody awaits is reported with or without a handle", "[spawn]") {
  SECTION("detached") {
    auto result = run_fifo([&]() -> Task<void> {
      corosim::spawn_detached(holds_then_throws(std::make_shared<int>(2)));
      co_await corosim::yield_now();
      co_await corosim::yield_now();
    });
    REQUIRE(checker_of(result) == "escaped-exception");
    REQUIRE_THAT(result.failure->message, Catch::Contains("thrown with 2"));
  }
  SECTION("handle dropped after it finished") {
    auto result = run_fifo([&]() -> Task<void> {
      auto handle = corosim::spawn(holds_then_throws(std::make_shared<int>(3)));
      co_await until_finished(handle);
    });
    REQUIRE(checker_of(result) == "escaped-exception");
    REQUIRE_THAT(result.failure->message, Catch::Contains("thrown with 3"));
  }
}

TEST_CASE("destroying an un-joined handle drops the fiber", "[spawn][drop]") {
  bool dropped = false;
  bool ran_past_await = false;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Event never;
    {
      auto handle = corosim::spawn([&]() -> Task<void> {
        DropFlag flag(&dropped);
        co_await never.wait();
        ran_past_await = true;
      });
      co_await corosim::yield_now();  // let it park on the event
      CORO_CHECK(!dropped);
    }
    CORO_CHECK(dropped);
  });
  REQUIRE(result.passed());
  REQUIRE(dropped);
  REQUIRE_FALSE(ran_past_await);
}

TEST_CASE("dropping a suspended chain of nested Tasks destroys every frame", "[spawn][drop]") {
  int destroyed = 0;
  struct Counter {
    int* count;
    ~Counter() { ++*count; }
  };
  auto result = run_fifo([&]() -> Task<void> {
    const auto frames_before = corosim::detail::frames_live();
    corosim::Event never;
    std::function<Task<void>(int)> nest = [&](int depth) -> Task<void> {
      Counter counter{&destroyed};
      if (depth == 0) {
        co_await never.wait();
      } else {
        co_await nest(depth - 1);
      }
    };
    auto handle = corosim::spawn(nest, 5);
    co_await corosim::yield_now();
    CORO_CHECK(corosim::detail::frames_live() > frames_before);
    handle.cancel();
    CORO_CHECK(destroyed == 6);
    CORO_CHECK(corosim::detail::frames_live() == frames_before);
  });
  REQUIRE(result.passed());
  REQUIRE(destroyed == 6);
}

TEST_CASE("awaiting a cancelled fiber throws Cancelled", "[spawn][drop]") {
  bool cancelled = false;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Event never;
    auto handle = corosim::spawn([&]() -> Task<void> { co_await never.wait(); });
    co_await corosim::yield_now();
    handle.cancel();
    try {
      co_await handle;
    } catch (const corosim::Cancelled&) {
      cancelled = true;
    }
  });
  REQUIRE(result.passed());
  REQUIRE(cancelled);
}

TEST_CASE("a detached fiber runs to completion on its own", "[spawn]") {
  bool finished = false;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::Event done;
    corosim::spawn([&]() -> Task<void> {
      co_await corosim::sleep_for(std::chrono::milliseconds(5));
      finished = true;
      done.set();
    }).detach();
    co_await done.wait();
  });
  REQUIRE(result.passed());
  REQUIRE(finished);
}

TEST_CASE("a fiber that drops itself through its own handle ends at the end of its step", "[spawn][drop]") {
  bool dropped = false;
  bool ran_past = false;
  auto result = run_fifo([&]() -> Task<void> {
    corosim::JoinHandle<void> self;
    corosim::Event go;
    self = corosim::spawn([&]() -> Task<void> {
      DropFlag flag(&dropped);
      co_await go.wait();
      self.cancel();  // running: deferred to the end of this step
      co_await corosim::yield_now();
      ran_past = true;
    });
    go.set();
    co_await corosim::sleep_for(std::chrono::milliseconds(1));
    CORO_CHECK(self.is_finished());
  });
  REQUIRE(result.passed());
  REQUIRE(dropped);
  REQUIRE_FALSE(ran_past);
}
