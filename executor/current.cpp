// The executor running on this thread (executor/executor.h; the fiber and the
// frame counters are inline there).
#include "corosim/executor/executor.h"

namespace corosim {

namespace {
thread_local Executor* tls_executor = nullptr;
}  // namespace

Executor* current_executor() noexcept { return tls_executor; }

namespace detail {

void set_current(Executor* executor, Fiber* fiber) noexcept {
  tls_executor = executor;
  tls_current_fiber = fiber;
}

}  // namespace detail
}  // namespace corosim
