// Dense ids for primitives, in creation order, from the current executor (0
// outside one). Used in traces and reports; never derived from addresses.
#pragma once

#include <cstdint>

#include "corosim/executor/executor.h"

namespace corosim::detail {

inline std::uint32_t new_object_id() {
  Executor* executor = current_executor();
  return executor != nullptr ? executor->new_object_id() : 0;
}

inline void trace_current(TraceKind kind, std::uint32_t arg, std::uint64_t value = 0) {
  if (Executor* executor = current_executor()) executor->trace(kind, current_fiber(), arg, value);
}

}  // namespace corosim::detail
