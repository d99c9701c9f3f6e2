#include "corosim/runtime/task.h"

#include <catch2/catch.hpp>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::run_fifo;

namespace {

Task<int> answer() { co_return 42; }
Task<int> twice() { co_return co_await answer() * 2; }
Task<void> nothing() { co_return; }
Task<std::unique_ptr<std::string>> boxed(std::string text) {
  co_return std::make_unique<std::string>(std::move(text));
}
Task<int> fails_after_await() {
  co_await corosim::yield_now();
  throw std::runtime_error("deep failure");
}
Task<int> middle() { co_return co_await fails_after_await() + 1; }

Task<int> count_down(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await count_down(depth - 1);
}

}  // namespace

TEST_CASE("a Task returns its value to the awaiter", "[task]") {
  int got = 0;
  auto result = run_fifo([&]() -> Task<void> { got = co_await twice(); });
  REQUIRE(result.passed());
  REQUIRE(got == 84);
}

TEST_CASE("a Task is lazy: nothing runs until it is awaited", "[task]") {
  bool ran = false;
  auto result = run_fifo([&]() -> Task<void> {
    auto body = [&]() -> Task<void> {
      ran = true;
      co_return;
    };
    Task<void> pending = body();
    CORO_CHECK(!ran);
    co_await std::move(pending);
    CORO_CHECK(ran);
  });
  REQUIRE(result.passed());
  REQUIRE(ran);
}

TEST_CASE("Task supports void and move-only values", "[task]") {
  std::string text;
  auto result = run_fifo([&]() -> Task<void> {
    co_await nothing();
    std::unique_ptr<std::string> box = co_await boxed("moved");
    text = *box;
  });
  REQUIRE(result.passed());
  REQUIRE(text == "moved");
}

TEST_CASE("exceptions propagate across awaits and nested Tasks", "[task]") {
  std::string caught;
  auto result = run_fifo([&]() -> Task<void> {
    try {
      co_await middle();
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  });
  REQUIRE(result.passed());
  REQUIRE(caught == "deep failure");
}

TEST_CASE("deep chains of Tasks use symmetric transfer and not the stack", "[task]") {
  int depth = 0;
  auto result = run_fifo([&]() -> Task<void> { depth = co_await count_down(100000); });
  REQUIRE(result.passed());
  REQUIRE(depth == 100000);
}

TEST_CASE("a Task destroyed unawaited frees its frame", "[task]") {
  const auto before = corosim::detail::frames_live();
  {
    Task<int> unused = twice();
    REQUIRE(corosim::detail::frames_live() == before + 1);
  }
  REQUIRE(corosim::detail::frames_live() == before);
}

TEST_CASE("freed frames are reused and the cache of them stays bounded", "[task]") {
  REQUIRE(corosim::detail::frames_live() == 0);  // what follows frees the last frame alive
  const auto bytes_before = corosim::detail::frame_bytes_live();
  {
    std::vector<Task<int>> many;
    for (int i = 0; i < 40'000; ++i) many.push_back(twice());  // megabytes of frames
    REQUIRE(corosim::detail::frame_bytes_live() > bytes_before);
  }
  REQUIRE(corosim::detail::frame_bytes_live() == bytes_before);
  // The pool keeps what the last round reached; a round that needs less
  // gives it back, down to a mebibyte (none under ASan, whose quarantine
  // needs every frame back).
  {
    Task<int> small_round = twice();
  }
  const std::size_t cached = corosim::detail::frame_cache_bytes();
  REQUIRE(cached <= std::size_t{1} << 20);
  if (cached > 0) {
    Task<int> reused = twice();  // takes a cached frame: no new heap
    REQUIRE(corosim::detail::frame_cache_bytes() < cached);
    // Another thread caches from its first freed frame on (its cache is
    // freed when it ends).
    std::size_t cached_in_thread = 0;
    std::thread([&] {
      {
        Task<int> once = twice();
      }
      cached_in_thread = corosim::detail::frame_cache_bytes();
    }).join();
    REQUIRE(cached_in_thread > 0);
  }
}

// The pool gives memory back only when no frame is alive: a frame held while
// thousands of others come and go keeps its contents; once it goes too, the
// next frames are carved again from where the first ones were, side by side.
TEST_CASE("frames alive while others come and go are left intact", "[task]") {
  using corosim::detail::FrameCounted;
  REQUIRE(corosim::detail::frames_live() == 0);
  int got = 0;
  {
    Task<int> held = twice();
    for (int round = 0; round < 3; ++round) {
      std::vector<Task<int>> many;
      for (int i = 0; i < 40'000; ++i) many.push_back(twice());
    }
    // Everything freed but one frame: the pool keeps what it carved (under
    // ASan there is no pool).
    if (corosim::detail::frame_cache_bytes() > 0) {
      CHECK(corosim::detail::frame_cache_bytes() > std::size_t{1} << 20);
    }
    const auto result = run_fifo([&]() -> Task<void> { got = co_await std::move(held); });
    REQUIRE(result.passed());
  }
  CHECK(got == 84);
  {
    Task<int> small_round = twice();
  }
  CHECK(corosim::detail::frame_cache_bytes() <= std::size_t{1} << 20);
  if (corosim::detail::frame_cache_bytes() == 0) return;  // ASan: frames come from the heap
  // Rounds of 2,000 frames of 48 bytes: more than one 64 KiB chunk each.
  const auto round = [] {
    std::vector<void*> frames;
    for (int i = 0; i < 2'000; ++i) frames.push_back(FrameCounted::operator new(40));
    return frames;
  };
  const auto free_all = [](const std::vector<void*>& frames) {
    for (void* frame : frames) FrameCounted::operator delete(frame, 40);
  };
  free_all(round());
  std::vector<void*> frames = round();
  CHECK(static_cast<std::byte*>(frames[1]) - static_cast<std::byte*>(frames[0]) == 48);  // side by side
  FrameCounted::operator delete(frames[5], 40);
  frames[5] = FrameCounted::operator new(33);  // the same size class: the frame just freed
  CHECK(frames[5] == static_cast<std::byte*>(frames[4]) + 48);
  free_all(frames);
  void* after_all_freed = FrameCounted::operator new(100);
  CHECK(after_all_freed == frames[0]);  // carved from the first chunk's start again
  FrameCounted::operator delete(after_all_freed, 100);
}

TEST_CASE("every co_await in a Task is a suspension point with its source line", "[task][hook]") {
  // Under random, a ready operand is sometimes pre-empted: the trace then shows
  // a yield at this file's line.
  const int line = __LINE__ + 3;
  auto body = []() -> Task<void> {
    auto other = corosim::spawn([]() -> Task<void> { co_return; });
    co_await answer();
    co_await other;
  };
  bool saw_yield_here = false;
  for (std::uint64_t seed = 0; seed < 64 && !saw_yield_here; ++seed) {
    corosim::RandomStrategy strategy;
    corosim::Simulator simulator(strategy);
    REQUIRE(simulator.run(body, seed).passed());
    for (const auto& event : simulator.trace().events()) {
      if (event.kind != corosim::TraceKind::yield) continue;
      const auto& where = simulator.trace().location(event.location).where;
      if (where.line() == static_cast<std::uint32_t>(line) &&
          std::string(where.base_name()) == "task_test.cpp") {
        saw_yield_here = true;
      }
    }
  }
  REQUIRE(saw_yield_here);
}
