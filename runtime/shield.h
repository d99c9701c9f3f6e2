// shielded(op): runs op inline, shielded from injected cancellation.
//
// Contract: while op runs, the fiber's own canceller (its owner, its race, a
// declared one) is never made to act at op's suspension points: op is treated
// as not under test (a reference run, harness work, cleanup that must not
// itself be cancelled). The cancellers op owns still act: the fibers it
// spawns, its selects and timeouts, what it declares cancellable. It does not
// stop an owner from dropping the fiber through its handle.
#pragma once

#include <utility>

#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"
#include "corosim/runtime/task.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

namespace detail {
class ShieldGuard {
 public:
  explicit ShieldGuard(Fiber& fiber) noexcept : fiber_(fiber) { ++fiber_.shield_depth; }
  ShieldGuard(const ShieldGuard&) = delete;
  ~ShieldGuard() { --fiber_.shield_depth; }

 private:
  Fiber& fiber_;
};
}  // namespace detail

template <class T>
Task<T> shielded(Task<T> operation) {
  detail::ShieldGuard guard(detail::running_fiber("shielded()"));
  co_return co_await std::move(operation);
}

}  // namespace corosim
