// The porting rule for SCTBench's "CS" benchmarks (Thomson, Donaldson and
// Betts, "Concurrency testing using controlled schedulers: an empirical
// study", TOPC 2016; C sources from the SV-COMP pthread set), applied the
// same way to every benchmark so the figures compare:
//
// - A pthread is a fiber: pthread_create is corosim::spawn followed by
//   `co_await point()`, pthread_join awaits the fiber's handle. A main that
//   returns without joining (account, token_ring) joins at its end: corosim's
//   main owns its fibers, and the bug must stay reachable.
// - A pthread mutex is a corosim::Mutex (lock is a scheduling point); an
//   unlock is followed by a scheduling point. A condition variable is a
//   corosim::CondVar. ESBMC's atomic sections (one global lock in SCTBench's
//   common.inc) lock one Mutex.
// - Every read and every write of a variable that more than one thread
//   touches is a Shared<T>::load() or store(): a scheduling point, then the
//   access. `x++` is a load and a store.
// - assert(c) is CORO_CHECK_MSG(c, ...); a deadlock is the deadlock checker's.
//
// What a scheduling point is, is the one knob (point_style()): `plain` awaits
// an operation that is already complete, so only the strategy's forced
// suspension (a pre-emption) switches there; `yield` is `co_await
// corosim::yield_now()`, which always parks (what examples/010 teaches). The
// bug benchmark measures both; scenarios run with `plain`.
//
// Every benchmark has a fixed twin: SCTBench's `_ok` program where it has a
// meaningful one, else the smallest change that removes the bug (each says
// which).
#pragma once

#include <utility>

#include "corosim/runtime/event.h"
#include "corosim/runtime/mutex.h"
#include "corosim/runtime/task.h"
#include "corosim/runtime/time.h"

namespace corosim::sctbench {

enum class PointStyle { plain, yield };

// Process-wide, set by the bug benchmark before it runs a scenario (never
// during a run, so every run of a seed sees the same style).
inline PointStyle& point_style() noexcept {
  static PointStyle style = PointStyle::plain;
  return style;
}

// A scheduling point of the porting rule.
inline Task<void> point() {
  if (point_style() == PointStyle::yield) {
    co_await corosim::yield_now();
  } else {
    Event done;
    done.set();
    co_await done.wait();
  }
}

// A variable more than one thread touches: every access is a scheduling
// point first.
template <class T>
class Shared {
 public:
  Shared() = default;
  explicit Shared(T value) : value_(std::move(value)) {}
  Task<T> load() {
    co_await point();
    co_return value_;
  }
  Task<void> store(T value) {
    co_await point();
    value_ = std::move(value);
  }

 private:
  T value_{};
};

// pthread_mutex_unlock: the unlock, then a scheduling point.
inline Task<void> unlock(Mutex::Guard& guard) {
  guard.unlock();
  co_await point();
}

}  // namespace corosim::sctbench
