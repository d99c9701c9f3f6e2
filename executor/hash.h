// Our own 64-bit hashing: the trace hash must be identical on every standard
// library and compiler, so std::hash is not used on any hashed path.
#pragma once

#include <cstddef>
#include <cstdint>

namespace corosim::detail {

inline constexpr std::uint64_t kHashSeed = 0xcbf29ce484222325ULL;

// FNV-1a over bytes.
inline std::uint64_t hash_bytes(const char* data, std::size_t size, std::uint64_t h = kHashSeed) noexcept {
  for (std::size_t i = 0; i < size; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Folds one 64-bit word into h with a SplitMix64-style finaliser.
inline constexpr std::uint64_t hash_mix(std::uint64_t h, std::uint64_t word) noexcept {
  std::uint64_t z = h ^ (word + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace corosim::detail
