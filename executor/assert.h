// COROSIM_ASSERT: an invariant the simulator relies on, checked in every
// build, Release included (TigerBeetle keeps its asserts in ReleaseSafe). A
// broken invariant means every later decision of the run is suspect, so the
// process stops with the condition and where it failed. Keep them cheap on the
// hot path: a comparison or two at the entry and exit of a step.
//
// Plain assert() stays for checks too costly for Release, and
// UsageError/absl::Status for mistakes in user input.
#pragma once

namespace corosim::detail {
[[noreturn]] void assert_failed(const char* condition, const char* file, int line) noexcept;
}  // namespace corosim::detail

#define COROSIM_ASSERT(condition) \
  ((condition) ? static_cast<void>(0) : ::corosim::detail::assert_failed(#condition, __FILE__, __LINE__))
