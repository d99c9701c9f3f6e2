#include "bench/memory_latency.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

namespace corosim::bench {

namespace {

struct alignas(64) Line {
  std::uint32_t next = 0;  // the index of the line visited after this one
};

// splitmix64: a fixed sequence, so every run chases the same cycle.
std::uint64_t next_random(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

}  // namespace

double dependent_load_ns(std::size_t bytes) {
  const std::size_t count = bytes / sizeof(Line);
  auto lines = std::make_unique<Line[]>(count);
  // Sattolo's shuffle of the identity: one cycle through every line, so the
  // chase never settles into a short loop that would fit in a cache.
  auto order = std::make_unique<std::uint32_t[]>(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = static_cast<std::uint32_t>(i);
  std::uint64_t state = 1;
  for (std::size_t i = count - 1; i > 0; --i) std::swap(order[i], order[next_random(state) % i]);
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

}  // namespace corosim::bench
