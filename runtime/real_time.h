// Real time inside a simulation: detected, reported, or allowed on purpose.
//
// Under the simulator time is virtual. Code under test that reads the real
// clock (std::chrono's now(), time(), gettimeofday) makes a run depend on the
// machine instead of its seed; code that sleeps the thread
// (std::this_thread::sleep_for, sleep, usleep) stops every fiber while
// virtual time stands still. corosim interposes the C library's entry points
// for both (clock_gettime, gettimeofday, time, nanosleep, clock_nanosleep,
// sleep, usleep): the call still happens, and a simulated run that made it
// fails with the real-time checker, naming the call and where the fiber last
// suspended. Outside a run, and on the real-time EventLoop, they are plain
// calls.
//
// What it cannot see: a statically linked C library (-static), raw syscalls
// and rdtsc. The determinism check catches what they change.
//
// RealTimeAllowed: while one lives on this thread nothing is reported — for
// code that only logs a timestamp, or a harness whose own timers fire inside
// a run (libFuzzer's alarm handler reads the clock).
#pragma once

namespace corosim {

class RealTimeAllowed {
 public:
  RealTimeAllowed() noexcept;
  ~RealTimeAllowed();
  RealTimeAllowed(const RealTimeAllowed&) = delete;
  RealTimeAllowed& operator=(const RealTimeAllowed&) = delete;
};

// VirtualClock: while one lives on this thread inside a run, the C library's
// clocks read the run's virtual time instead of being reported: monotonic
// clocks read a fixed base (1,000,000 s) plus the virtual time, the real-time
// clock 2026-01-01T00:00:00Z plus it. For code whose clock reads are part of
// its timers (asio's: asio/context.h holds one), so that std::chrono's clocks
// agree with the simulator's.
class VirtualClock {
 public:
  static constexpr long long kMonotonicBaseSeconds = 1'000'000;
  static constexpr long long kRealtimeBaseSeconds = 1'767'225'600;  // 2026-01-01T00:00:00Z
  VirtualClock() noexcept;
  ~VirtualClock();
  VirtualClock(const VirtualClock&) = delete;
  VirtualClock& operator=(const VirtualClock&) = delete;
};

namespace detail {
// Referenced by the simulator so that a static link keeps the interposers.
void link_real_time_guard() noexcept;
// Whether `call` (a name the guard passes to Executor::real_time_used) sleeps.
bool real_time_call_sleeps(const char* call) noexcept;
}  // namespace detail

}  // namespace corosim
