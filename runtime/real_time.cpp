// The C library's clock and sleep functions, interposed: a definition in the
// program comes before libc's in symbol lookup, so calls from the user's code
// and from libstdc++ (its clocks and sleep_for call these) arrive here first.
// Each tells the running executor, then calls the real function, found with
// dlsym(RTLD_NEXT): the behaviour of the call never changes.
//
// Executor::real_time_used must be async-signal-safe: a signal handler may
// read the clock in the middle of a step. So nothing here allocates.
#include "corosim/runtime/real_time.h"

#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <sys/syscall.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "corosim/executor/executor.h"
#include "corosim/runtime/next_definition.h"

namespace corosim {
namespace {

thread_local int tls_allowed = 0;
thread_local int tls_virtual = 0;

// Fills `out` from the run's virtual time when a VirtualClock is active and
// the clock is one it stands for; false otherwise.
bool virtual_time(clockid_t clock, struct timespec* out) noexcept {
  if (tls_virtual == 0) return false;
  Executor* executor = current_executor();
  if (executor == nullptr) return false;
  long long base = 0;
  switch (clock) {
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME: base = VirtualClock::kMonotonicBaseSeconds; break;
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE: base = VirtualClock::kRealtimeBaseSeconds; break;
    default: return false;
  }
  const std::uint64_t now = executor->now_ns();
  out->tv_sec = static_cast<time_t>(base + static_cast<long long>(now / 1'000'000'000));
  out->tv_nsec = static_cast<long>(now % 1'000'000'000);
  return true;
}

void note(const char* call) noexcept {
  if (tls_allowed > 0) return;
  if (Executor* executor = current_executor()) executor->real_time_used(call);
}

using detail::next_definition;

int raw_clock_gettime(clockid_t clock, struct timespec* out) noexcept {
  return static_cast<int>(syscall(SYS_clock_gettime, clock, out));
}

int raw_clock_nanosleep(clockid_t clock, int flags, const struct timespec* duration,
                        struct timespec* remaining) noexcept {
  return static_cast<int>(syscall(SYS_clock_nanosleep, clock, flags, duration, remaining));
}

}  // namespace

VirtualClock::VirtualClock() noexcept { ++tls_virtual; }
VirtualClock::~VirtualClock() { --tls_virtual; }

RealTimeAllowed::RealTimeAllowed() noexcept { ++tls_allowed; }
RealTimeAllowed::~RealTimeAllowed() { --tls_allowed; }

namespace detail {
void link_real_time_guard() noexcept {}

bool real_time_call_sleeps(const char* call) noexcept { return std::strstr(call, "sleep") != nullptr; }
}  // namespace detail
}  // namespace corosim

extern "C" {

int clock_gettime(clockid_t clock, struct timespec* out) noexcept {
  static std::atomic<int (*)(clockid_t, struct timespec*)> cached{nullptr};
  if (corosim::virtual_time(clock, out)) return 0;
  corosim::note("clock_gettime");
  if (auto next = corosim::next_definition(cached, "clock_gettime")) return next(clock, out);
  return corosim::raw_clock_gettime(clock, out);
}

int gettimeofday(struct timeval* __restrict out, void* __restrict zone) noexcept {
  static std::atomic<int (*)(struct timeval*, void*)> cached{nullptr};
  if (struct timespec now{}; corosim::virtual_time(CLOCK_REALTIME, &now)) {
    out->tv_sec = now.tv_sec;
    out->tv_usec = now.tv_nsec / 1000;
    return 0;
  }
  corosim::note("gettimeofday");
  if (auto next = corosim::next_definition(cached, "gettimeofday")) return next(out, zone);
  struct timespec now{};
  const int status = corosim::raw_clock_gettime(CLOCK_REALTIME, &now);
  out->tv_sec = now.tv_sec;
  out->tv_usec = now.tv_nsec / 1000;
  return status;
}

time_t time(time_t* out) noexcept {
  static std::atomic<time_t (*)(time_t*)> cached{nullptr};
  if (struct timespec now{}; corosim::virtual_time(CLOCK_REALTIME, &now)) {
    if (out != nullptr) *out = now.tv_sec;
    return now.tv_sec;
  }
  corosim::note("time");
  if (auto next = corosim::next_definition(cached, "time")) return next(out);
  struct timespec now{};
  corosim::raw_clock_gettime(CLOCK_REALTIME, &now);
  if (out != nullptr) *out = now.tv_sec;
  return now.tv_sec;
}

int nanosleep(const struct timespec* duration, struct timespec* remaining) {
  static std::atomic<int (*)(const struct timespec*, struct timespec*)> cached{nullptr};
  corosim::note("nanosleep");
  if (auto next = corosim::next_definition(cached, "nanosleep")) return next(duration, remaining);
  return corosim::raw_clock_nanosleep(CLOCK_REALTIME, 0, duration, remaining);
}

int clock_nanosleep(clockid_t clock, int flags, const struct timespec* duration, struct timespec* remaining) {
  static std::atomic<int (*)(clockid_t, int, const struct timespec*, struct timespec*)> cached{nullptr};
  corosim::note("clock_nanosleep");
  if (auto next = corosim::next_definition(cached, "clock_nanosleep")) {
    return next(clock, flags, duration, remaining);
  }
  // This one returns the error number instead of setting errno.
  return corosim::raw_clock_nanosleep(clock, flags, duration, remaining) == 0 ? 0 : errno;
}

unsigned int sleep(unsigned int seconds) {
  static std::atomic<unsigned int (*)(unsigned int)> cached{nullptr};
  corosim::note("sleep");
  if (auto next = corosim::next_definition(cached, "sleep")) return next(seconds);
  const struct timespec duration{static_cast<time_t>(seconds), 0};
  struct timespec remaining{};
  if (corosim::raw_clock_nanosleep(CLOCK_REALTIME, 0, &duration, &remaining) == 0) return 0;
  return static_cast<unsigned int>(remaining.tv_sec);
}

int usleep(useconds_t microseconds) {
  static std::atomic<int (*)(useconds_t)> cached{nullptr};
  corosim::note("usleep");
  if (auto next = corosim::next_definition(cached, "usleep")) return next(microseconds);
  const struct timespec duration{static_cast<time_t>(microseconds / 1000000),
                                 static_cast<long>(microseconds % 1000000) * 1000};
  return corosim::raw_clock_nanosleep(CLOCK_REALTIME, 0, &duration, nullptr);
}

}  // extern "C"
