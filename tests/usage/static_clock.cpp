// Linked with -static (usage.static_clock): dlsym(RTLD_NEXT) finds nothing in
// a static program, so the interposed clock and sleep functions
// (runtime/real_time.cpp) fall back to the system calls. They must still tell
// the time and sleep for as long as asked. Exit 0 when they do.
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

// Linked with runtime/real_time.cpp alone: the running executor it asks for
// is read inline (executor/executor.h), and is null here, outside any run.

namespace {

std::int64_t kernel_ns(clockid_t clock) {
  struct timespec now{};
  syscall(SYS_clock_gettime, clock, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

int failed(const char* what) {
  std::fprintf(stderr, "static_clock: %s\n", what);
  return 1;
}

}  // namespace

int main() {
  using namespace std::chrono;
  const std::int64_t kernel_before = kernel_ns(CLOCK_MONOTONIC);
  const auto before = steady_clock::now();
  std::this_thread::sleep_for(milliseconds(20));
  usleep(5000);
  const auto slept = duration_cast<milliseconds>(steady_clock::now() - before).count();
  const std::int64_t kernel_slept_ms = (kernel_ns(CLOCK_MONOTONIC) - kernel_before) / 1000000;
  if (slept < 25) return failed("sleep_for(20ms) + usleep(5ms) slept less than 25 ms");
  if (kernel_slept_ms < slept) return failed("steady_clock ran ahead of the kernel's clock");

  const std::int64_t wall_s = kernel_ns(CLOCK_REALTIME) / 1000000000;
  struct timeval tv{};
  gettimeofday(&tv, nullptr);
  const auto system_s = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
  const std::time_t time_s = std::time(nullptr);
  for (const std::int64_t s : {static_cast<std::int64_t>(tv.tv_sec), static_cast<std::int64_t>(system_s),
                               static_cast<std::int64_t>(time_s)}) {
    if (s < wall_s - 1 || s > wall_s + 1) return failed("a wall clock disagrees with the kernel's");
  }
  std::printf("static_clock: slept %lld ms; wall clocks agree\n", static_cast<long long>(slept));
  return 0;
}
