// Conservation ledgers: accounts a primitive keeps that must balance after
// every injected cancellation and at the end of every run. A violated ledger
// is a failure (the "ledger" checker) naming the primitive and where it was
// created.
//
// Primitives register on construction with the executor that is current then
// (none outside a run) and unregister on destruction. The executor audits them
// in creation order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "corosim/executor/executor.h"
#include "corosim/executor/source_loc.h"

namespace corosim {

class Ledger {
 public:
  // Whether the fiber with this id still runs (exists and has not ended).
  using FiberAlive = std::function<bool(std::uint32_t fiber_id)>;

  explicit Ledger(const SourceLoc& created_at);
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Appends a description of what does not balance; leaves out empty if all does.
  virtual void audit(const FiberAlive& alive, std::string& out) const = 0;

  const SourceLoc& created_at() const noexcept { return created_at_; }

  // The executor's intrusive list; `registered` is cleared by the executor
  // when it forgets its ledgers at the end of a run (a primitive that outlives
  // the run must not touch it afterwards).
  Ledger* ledger_prev = nullptr;
  Ledger* ledger_next = nullptr;
  bool registered = false;

 protected:
  ~Ledger();

 private:
  SourceLoc created_at_;
  Executor* executor_;
};

}  // namespace corosim
