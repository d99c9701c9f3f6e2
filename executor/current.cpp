// The executor and fiber running on this thread, and the coroutine frame
// counters the leak checker reads (executor/executor.h).
#include "corosim/executor/executor.h"

namespace corosim {

namespace {
thread_local Executor* tls_executor = nullptr;
thread_local Fiber* tls_fiber = nullptr;
thread_local std::int64_t tls_frames_live = 0;
thread_local std::int64_t tls_frame_bytes_live = 0;
}  // namespace

Executor* current_executor() noexcept { return tls_executor; }
Fiber* current_fiber() noexcept { return tls_fiber; }

namespace detail {

void set_current(Executor* executor, Fiber* fiber) noexcept {
  tls_executor = executor;
  tls_fiber = fiber;
}
void set_current_fiber(Fiber* fiber) noexcept { tls_fiber = fiber; }
std::int64_t& frames_live() noexcept { return tls_frames_live; }
std::int64_t& frame_bytes_live() noexcept { return tls_frame_bytes_live; }

}  // namespace detail
}  // namespace corosim
