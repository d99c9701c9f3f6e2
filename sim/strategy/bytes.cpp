#include "corosim/sim/strategy/bytes.h"

#include <bit>
#include <cassert>

#include "corosim/executor/hash.h"

namespace corosim {

namespace {

unsigned width_of(std::uint64_t n) {
  assert(n >= 2);
  return static_cast<unsigned>(std::bit_width(n - 1));
}

}  // namespace

void BytesStrategy::begin_run(std::uint64_t seed) {
  (void)seed;
  bit_ = 0;
  tail_.begin_run(detail::hash_bytes(input_.data(), input_.size()));
}

std::uint64_t BytesStrategy::choose_fiber(DecisionKind kind, std::uint64_t n, const FiberView& view) {
  // Asked at every decision, so that its ranks have seen every step when the
  // input runs out.
  const std::uint64_t tail = tail_.choose_fiber(kind, n, view);
  if (past_end()) return tail;
  return choose(kind, n);
}

std::uint64_t BytesStrategy::choose(DecisionKind kind, std::uint64_t n) {
  (void)kind;  // every kind reads the same way: the fuzzer learns what each bit does
  const unsigned width = width_of(n);
  std::uint64_t value = 0;
  for (unsigned i = 0; i < width; ++i, ++bit_) {
    const std::uint64_t byte = bit_ / 8;
    if (byte >= input_.size()) continue;  // past the end: a 0 bit
    const auto bits = static_cast<unsigned char>(input_[byte]);
    value |= static_cast<std::uint64_t>((bits >> (bit_ % 8)) & 1u) << i;
  }
  return value % n;
}

std::string decisions_to_bytes(const DecisionStream& decisions) {
  std::string out;
  std::uint64_t bit = 0;
  for (const Decision& decision : decisions) {
    assert(decision.value < decision.n);
    const unsigned width = width_of(decision.n);
    for (unsigned i = 0; i < width; ++i, ++bit) {
      if (bit / 8 >= out.size()) out.push_back('\0');
      if ((decision.value >> i) & 1u) out[bit / 8] = static_cast<char>(out[bit / 8] | (1u << (bit % 8)));
    }
  }
  return out;
}

}  // namespace corosim
