// Setting the executor and fiber running on this thread (executor/executor.h,
// where they are read inline).
#include "corosim/executor/executor.h"

namespace corosim {

namespace detail {

void set_current(Executor* executor, Fiber* fiber) noexcept {
  tls_executor = executor;
  tls_current_fiber = fiber;
}

}  // namespace detail
}  // namespace corosim
