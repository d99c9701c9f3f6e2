#include "corosim/sim/strategy/bytes.h"

#include <bit>
#include <cassert>

namespace corosim {

namespace {

unsigned width_of(std::uint64_t n) {
  assert(n >= 2);
  return static_cast<unsigned>(std::bit_width(n - 1));
}

}  // namespace

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
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

}  // namespace corosim
