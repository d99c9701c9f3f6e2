// executor/fiber.h: what a live fiber costs and what a step touches of it.
// The W7 target (docs/performance.md) is bytes per live fiber; a field added to
// Fiber grows every fiber, so a new field that few fibers use goes to
// FiberCold, and this test says so when one lands in Fiber instead.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "corosim/executor/fiber.h"
#include "corosim/executor/fiber_table.h"
#include "corosim/runtime/corosim.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/random.h"

namespace {

// Read in the test, not asserted in the header: the numbers hold on the
// 64-bit targets the project builds for.
constexpr std::size_t kFiberBytesMax = 200;
constexpr std::size_t kCacheLine = 64;
constexpr std::size_t kStepBytes = corosim::kFiberStepBytes;
constexpr std::size_t kEndBytes = corosim::kFiberEndBytes;
constexpr std::size_t kLinksAt = corosim::kFiberLinksAt;

corosim::Task<void> parked_on(corosim::Event* go) { co_await go->wait(); }

}  // namespace

TEST_CASE("fiber layout: the record stays small and every await touches its first two lines only",
          "[fiber]") {
  using corosim::Fiber;
  CHECK(sizeof(Fiber) <= kFiberBytesMax);
  // The fields each await and resumption reads and writes, first and within
  // one cache line.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
#endif
  CHECK(offsetof(Fiber, executor) == 0);
  CHECK(offsetof(Fiber, resume_point) + sizeof(corosim::ResumePoint) <= kCacheLine);
  CHECK(offsetof(Fiber, waiting_on) + sizeof(void*) <= kCacheLine);
  CHECK(offsetof(Fiber, state) < kCacheLine);
  CHECK(offsetof(Fiber, unparked_awaits) + sizeof(std::uint32_t) <= kCacheLine);
  CHECK(offsetof(Fiber, touch) + sizeof(std::uint32_t) <= kCacheLine);
  // The rest of what a yield, a wake-up and a step read or write (run queue
  // membership, shielding, the owner canceller's reach, a driver, the last
  // spawn): within the second line. A step in a crowd of a million fibers
  // misses on each line of its record it touches (cachegrind counted one
  // miss a step fewer with these moved up from the third).
  CHECK(offsetof(Fiber, queued) < kStepBytes);
  CHECK(offsetof(Fiber, started) < kStepBytes);
  CHECK(offsetof(Fiber, root_returned) < kStepBytes);
  CHECK(offsetof(Fiber, interrupted) < kStepBytes);
  CHECK(offsetof(Fiber, shield_depth) + sizeof(std::uint16_t) <= kStepBytes);
  CHECK(offsetof(Fiber, handle_alive) < kStepBytes);
  CHECK(offsetof(Fiber, detached) < kStepBytes);
  CHECK(offsetof(Fiber, listener) + sizeof(void*) <= kStepBytes);
  CHECK(offsetof(Fiber, scope) + sizeof(void*) <= kStepBytes);
  CHECK(offsetof(Fiber, driver) + sizeof(void*) <= kStepBytes);
  CHECK(offsetof(Fiber, last_spawned_id) + sizeof(std::uint32_t) <= kStepBytes);
  // A fiber's end reads its root, whether it has rare fields (the private
  // cold_ pointer, the one pointer between root and alive_prev) and its
  // links in the alive and scope lists: within the first kFiberEndBytes,
  // which the prefetch of a pick fetches (Simulator::prefetch_next_picks),
  // kFiberLinksAt amid the links. An end
  // that missed on cold_ cost W7 a tenth of its time at 1M fibers.
  CHECK(offsetof(Fiber, root) + sizeof(void*) <= kStepBytes);
  CHECK(offsetof(Fiber, alive_prev) == offsetof(Fiber, root) + 2 * sizeof(void*));
  CHECK(offsetof(Fiber, alive_next) + sizeof(void*) <= kEndBytes);
  CHECK(offsetof(Fiber, scope_prev) + sizeof(void*) <= kEndBytes);
  CHECK(offsetof(Fiber, scope_next) + sizeof(void*) <= kEndBytes);
  CHECK(offsetof(Fiber, alive_prev) <= kLinksAt);
  CHECK(kLinksAt < offsetof(Fiber, scope_next) + sizeof(void*));
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
  CHECK(sizeof(corosim::ResumePoint) == 2 * sizeof(void*));
}

TEST_CASE("fiber layout: the rare fields read as defaults until written", "[fiber]") {
  corosim::Fiber fiber;
  const corosim::FiberCold& unwritten = fiber.rare();
  CHECK(unwritten.race_arms == nullptr);
  CHECK(unwritten.cleanups_pending == 0);
  CHECK(unwritten.detached_by == corosim::kNoFiber);
  CHECK(unwritten.stop_deadline_ns == corosim::kNoDeadline);
  CHECK_FALSE(unwritten.stop_source.stop_possible());
  fiber.cold().detached_by = 7;
  CHECK(fiber.rare().detached_by == 7);
  CHECK(&fiber.rare() != &unwritten);  // the defaults are shared, never written
  corosim::Fiber other;
  CHECK(other.rare().detached_by == corosim::kNoFiber);
}

TEST_CASE("fiber table: a record reused for a new fiber starts clean", "[fiber]") {
  corosim::RandomStrategy strategy;
  corosim::Simulator simulator(strategy);  // only named as the records' executor
  corosim::detail::FiberTable table;
  corosim::Fiber& first = table.create(simulator, corosim::SourceLoc{});
  first.cold().detached_by = 7;
  first.state = corosim::FiberState::done;
  first.exception_seen = true;
  first.unparked_awaits = 3;
  table.retire(first);
  table.begin_step();
  corosim::Fiber& second = table.create(simulator, corosim::SourceLoc{});
  if (!COROSIM_FRAME_POOL) {  // ASan: records come from the heap, never reused
    table.retire(second);
    return;
  }
  REQUIRE(&second == &first);  // the same storage, so the reset is what is tested
  CHECK(second.id == 1);
  CHECK(second.executor == &simulator);
  CHECK(second.state == corosim::FiberState::ready);
  CHECK_FALSE(second.exception_seen);
  CHECK(second.unparked_awaits == 0);
  CHECK(second.rare().detached_by == corosim::kNoFiber);
  table.retire(second);
}

// The fiber table rebuilds a record by default-initialisation (no zeroing
// first), so a member without an initialiser would keep what the previous
// fiber left there. Built over two different fillings, the records must be
// equal byte for byte. (Fiber has no padding, its fields being grouped by
// size: a padding byte would fail this too, and should not be there.)
TEST_CASE("fiber layout: every member of a record has an initialiser", "[fiber]") {
  alignas(corosim::Fiber) unsigned char dirty[sizeof(corosim::Fiber)];
  alignas(corosim::Fiber) unsigned char clean[sizeof(corosim::Fiber)];
  std::memset(dirty, 0xa5, sizeof dirty);
  std::memset(clean, 0, sizeof clean);
  auto* from_dirty = ::new (static_cast<void*>(dirty)) corosim::Fiber;
  auto* from_clean = ::new (static_cast<void*>(clean)) corosim::Fiber;
  CHECK(std::memcmp(dirty, clean, sizeof dirty) == 0);
  std::destroy_at(from_dirty);
  std::destroy_at(from_clean);
}

// The code that retires a fiber may still hold its record (the step that ran
// it reads its state after it returns), so a record is only reused in a later
// step; and the free records kept for reuse are bounded.
TEST_CASE("fiber table: a record retired in a step is reused only in a later step", "[fiber]") {
  corosim::RandomStrategy strategy;
  corosim::Simulator simulator(strategy);
  corosim::detail::FiberTable table;
  corosim::Fiber& first = table.create(simulator, corosim::SourceLoc{});
  first.state = corosim::FiberState::done;
  table.retire(first);
  corosim::Fiber& same_step = table.create(simulator, corosim::SourceLoc{});
  CHECK(&same_step != &first);
  CHECK(first.id == 0);  // untouched while its step lasts
  table.begin_step();
  corosim::Fiber& next_step = table.create(simulator, corosim::SourceLoc{});
  if (COROSIM_FRAME_POOL) CHECK(&next_step == &first);  // ASan: from the heap, never reused
  CHECK(next_step.id == 2);
  same_step.state = corosim::FiberState::done;
  next_step.state = corosim::FiberState::done;
  table.retire(same_step);
  table.retire(next_step);
  CHECK(table.alive_count() == 0);
}

// A spawn's record is carved from the frame pool right after the spawned
// Task's frame, so that a pick among a million fibers finds both on one page
// (docs/performance.md, "A fiber's record beside its frame").
TEST_CASE("fiber table: a spawned fiber's record lies beside its frame", "[fiber]") {
  if (!COROSIM_FRAME_POOL) {
    WARN("under AddressSanitizer frames and records come from the heap; the g++ build checks this");
    return;
  }
  constexpr int kFibers = 2'000;
  int same_page = 0;
  int beside = 0;
  auto body = [&]() -> corosim::Task<void> {
    corosim::Event go;
    std::vector<corosim::JoinHandle<void>> handles;
    for (int i = 0; i < kFibers; ++i) handles.push_back(corosim::spawn(parked_on(&go)));
    for (const corosim::JoinHandle<void>& handle : handles) {
      const auto* record = reinterpret_cast<const std::byte*>(&handle.fiber_record());
      const auto* frame = static_cast<const std::byte*>(handle.fiber_record().root.address());
      const auto page = [](const std::byte* at) { return reinterpret_cast<std::uintptr_t>(at) >> 12; };
      same_page += page(record) == page(frame) ? 1 : 0;
      beside += record > frame && record - frame <= 1024 ? 1 : 0;
    }
    go.set();
    for (corosim::JoinHandle<void>& handle : handles) co_await handle;
  };
  corosim::RandomStrategy strategy;
  corosim::Simulator simulator(strategy);
  REQUIRE(simulator.run(body, 1).passed());
  // A frame and record straddle a page boundary now and then.
  CHECK(beside == kFibers);
  CHECK(same_page >= kFibers * 3 / 4);
}
