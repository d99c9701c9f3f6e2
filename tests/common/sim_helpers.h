// Helpers shared by the tests: run a body once under a strategy, with the
// simulator kept for trace inspection.
#pragma once

#include <cstdint>
#include <string>

#include "corosim/runtime/task.h"
#include "corosim/sim/simulator.h"
#include "corosim/sim/strategy/fifo.h"
#include "corosim/sim/strategy/random.h"

namespace corosim::testing {

// Runs body once under fifo (seed 0).
inline RunResult run_fifo(const MainFactory& body, SimOptions options = {}) {
  FifoStrategy strategy;
  Simulator simulator(strategy, options);
  return simulator.run(body, 0);
}

// Runs body once under random with the given seed.
inline RunResult run_random(const MainFactory& body, std::uint64_t seed, SimOptions options = {}) {
  RandomStrategy strategy;
  Simulator simulator(strategy, options);
  return simulator.run(body, seed);
}

// "passed", or the failing checker's name.
inline std::string checker_of(const RunResult& result) {
  return result.failure ? std::string(checker_name(result.failure->checker)) : std::string("passed");
}

inline std::string message_of(const RunResult& result) {
  return result.failure ? result.failure->message : std::string();
}

// Sets *flag when destroyed: shows that a frame was destroyed (dropped).
struct DropFlag {
  bool* flag;
  explicit DropFlag(bool* f) : flag(f) {}
  DropFlag(const DropFlag&) = delete;
  ~DropFlag() { *flag = true; }
};

}  // namespace corosim::testing
