#include "bench/memory_latency.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include <benchmark/benchmark.h>

#include "corosim/executor/prng.h"

namespace corosim::bench {

namespace {

struct alignas(64) Line {
  std::uint32_t next = 0;  // the index of the line visited after this one
};

// A fiber's record and frame as the frame pool places them for a spawn: adjacent.
struct alignas(64) Item {
  std::uint64_t record[8] = {};  // record[0] counts, record[1] locates the frame
  std::uint64_t frame[24] = {};
};

}  // namespace

double dependent_load_ns(std::size_t bytes) {
  const std::size_t count = bytes / sizeof(Line);
  auto lines = std::make_unique<Line[]>(count);
  // Sattolo's shuffle of the identity: one cycle through every line, so the
  // chase never settles into a short loop that would fit in a cache.
  auto order = std::make_unique<std::uint32_t[]>(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = static_cast<std::uint32_t>(i);
  detail::Prng prng(1);  // a fixed seed: every run chases the same cycle
  for (std::size_t i = count - 1; i > 0; --i) std::swap(order[i], order[prng.below(i)]);
  for (std::size_t i = 0; i < count; ++i) lines[i].next = order[i];
  order.reset();

  constexpr std::size_t kLoads = 4'000'000;
  std::uint32_t at = 0;
  for (std::size_t i = 0; i < kLoads / 8; ++i) at = lines[at].next;  // warm the page tables a little
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < kLoads; ++i) at = lines[at].next;
  const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  // The chase's end is used, so the loop is not optimised away.
  if (at == count) return -1;
  return elapsed.count() / kLoads;
}

double prefetched_walk_ns(std::size_t count) {
  auto items = std::make_unique<Item[]>(count);
  auto slots = std::make_unique<Item*[]>(count);  // the run queue: a pointer per fiber
  detail::Prng prng(2);
  for (std::size_t i = 0; i < count; ++i) {
    items[i].record[1] = reinterpret_cast<std::uintptr_t>(&items[i].frame[0]);
    slots[i] = &items[i];
  }
  for (std::size_t i = count - 1; i > 0; --i) std::swap(slots[i], slots[prng.below(i + 1)]);
  // Three stages, one a distance apart, as the simulator's prefetch runs them:
  // the slot, then the record it names, then the frame the record names.
  constexpr std::size_t kDistance = 16;
  constexpr std::size_t kPicks = 4'000'000;
  auto picks = std::make_unique<std::uint32_t[]>(kPicks + 3 * kDistance);
  for (std::size_t i = 0; i < kPicks + 3 * kDistance; ++i)
    picks[i] = static_cast<std::uint32_t>(prng.below(count));
  const auto walk = [&] {
    for (std::size_t i = 0; i < kPicks; ++i) {
      __builtin_prefetch(&slots[picks[i + 3 * kDistance]]);
      __builtin_prefetch(slots[picks[i + 2 * kDistance]]);
      __builtin_prefetch(reinterpret_cast<const void*>(slots[picks[i + kDistance]]->record[1]));
      Item* item = slots[picks[i]];
      ++item->record[0];
      *reinterpret_cast<std::uint64_t*>(item->record[1]) += item->record[0];
    }
  };
  walk();  // first touch and page tables
  const auto start = std::chrono::steady_clock::now();
  walk();
  const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - start;
  // The walk's writes stay: the compiler must assume the items are read.
  benchmark::DoNotOptimize(items.get());
  benchmark::ClobberMemory();
  return elapsed.count() / kPicks;
}

}  // namespace corosim::bench
