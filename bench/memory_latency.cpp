#include "bench/memory_latency.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include "corosim/executor/prng.h"

namespace corosim::bench {

namespace {

struct alignas(64) Line {
  std::uint32_t next = 0;  // the index of the line visited after this one
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

}  // namespace corosim::bench
