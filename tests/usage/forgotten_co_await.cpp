// Compiled (never run) by the usage.* tests: each MISTAKE_* drops what a
// corosim call returns — the forgotten co_await — and the compiler must say
// so (Task, the awaiters and JoinHandle are [[nodiscard]]). With no MISTAKE_*
// defined it is the correct code and must compile cleanly.
#include <chrono>

#include "corosim/runtime/spawn.h"
#include "corosim/runtime/task.h"
#include "corosim/runtime/time.h"

corosim::Task<void> save_record() { co_return; }

corosim::Task<void> caller() {
#if defined(MISTAKE_TASK)
  save_record();  // line 15
  co_return;
#elif defined(MISTAKE_SLEEP)
  corosim::sleep_for(std::chrono::milliseconds(5));  // line 18
  co_return;
#elif defined(MISTAKE_SPAWN)
  corosim::spawn(save_record());  // line 21
  co_return;
#else
  co_await save_record();
  co_await corosim::sleep_for(std::chrono::milliseconds(5));
  co_await corosim::spawn(save_record());
#endif
}
