// Touches: what a fiber's step touches, for strategies that reorder only
// dependent steps (pos) and for dfs's reduction. Fiber::touch holds one.
#pragma once

#include <cstdint>

namespace corosim {

// What a step touches. Declared: an object (a new_object_id()) and whether it
// writes; two such steps are dependent when they touch one object and at
// least one writes. Declared nothing: only what no other fiber touches.
// Nothing declared: it may touch anything undeclared — user memory the
// runtime cannot see — so it is dependent on every other undeclared step.
// (The contract: an object's accesses are declared all or none, so an
// undeclared step touches no declared object.)
inline constexpr std::uint32_t kTouchUnknown = 0;
inline constexpr std::uint32_t kTouchNothing = 1;
constexpr std::uint32_t touch_of(std::uint32_t object, bool write) noexcept {
  return ((object + 1) << 1) | (write ? 1u : 0u);
}
constexpr bool touches_conflict(std::uint32_t a, std::uint32_t b) noexcept {
  if (a == kTouchNothing || b == kTouchNothing) return false;
  if (a == kTouchUnknown || b == kTouchUnknown) return a == b;
  return (a >> 1) == (b >> 1) && ((a | b) & 1u) != 0;
}

}  // namespace corosim
