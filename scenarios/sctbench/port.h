// The porting rule for SCTBench's "CS" benchmarks (Thomson, Donaldson and
// Betts, "Concurrency testing using controlled schedulers: an empirical
// study", TOPC 2016; C sources from the SV-COMP pthread set), applied the
// same way to every benchmark so the figures compare:
//
// - A pthread is a fiber: pthread_create is corosim::spawn followed by
//   `co_await point()`, pthread_join awaits the fiber's handle. A main that
//   returns without joining (account, token_ring) joins at its end: corosim's
//   main owns its fibers, and the bug must stay reachable.
// - A pthread mutex is a corosim::Mutex (lock is a scheduling point, and so
//   is unlock: `co_await unlock(guard)`). A condition variable is a
//   corosim::CondVar, a signal a scheduling point before it (`co_await
//   point_on(cv.id())`), as is every other operation on a synchronisation
//   object that does not await. ESBMC's atomic sections (one global lock in
//   SCTBench's common.inc) lock one Mutex.
// - Every read and every write of a variable that more than one thread
//   touches is a Shared<T>::load() or store(): a scheduling point, then the
//   access. `x++` is a load and a store.
// - Each scheduling point is one co_await, and says what the step it begins
//   touches (its awaiter's corosim_touch()): an access, its variable; an
//   unlock or signal, its object; the point after a spawn, nothing shared (by
//   the rule every shared access and synchronisation is a point of its own,
//   before it, so that step only spawns or computes locally). pos re-ranks
//   only steps that race, and dfs and pos run a step that touches nothing
//   shared without pre-empting it.
// - assert(c) is CORO_CHECK_MSG(c, ...); a deadlock is the deadlock checker's.
//
// What a scheduling point is, is the one knob (point_style()): `plain`
// completes at once, so only the strategy's forced suspension (a pre-emption)
// switches there; `yield` parks as `co_await corosim::yield_now()` does (what
// examples/010 teaches). The
// bug benchmark measures both; scenarios run with `plain`.
//
// Every benchmark has a fixed twin: SCTBench's `_ok` program where it has a
// meaningful one, else the smallest change that removes the bug (each says
// which).
#pragma once

#include <coroutine>
#include <cstdint>
#include <utility>

#include "corosim/runtime/mutex.h"
#include "corosim/runtime/primitive.h"
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

// One scheduling point: complete at once (plain) or parked as yield_now
// parks (yield), and the touch of the step it begins.
class Point {
 public:
  static constexpr const char* corosim_what = "point";
  explicit Point(std::uint32_t touch) noexcept : touch_(touch) {}
  bool await_ready() const noexcept { return point_style() == PointStyle::plain; }
  void await_suspend(std::coroutine_handle<> self) const { corosim::yield_now().await_suspend(self); }
  void await_resume() const noexcept {}
  std::uint32_t corosim_touch() const noexcept { return touch_; }

 private:
  std::uint32_t touch_;
};

// The scheduling point after a spawn.
inline Point point() noexcept { return Point(kTouchNothing); }

// The scheduling point before an operation on a synchronisation object that
// does not await (a condition variable's signal, a semaphore's release).
inline Point point_on(std::uint32_t object) noexcept { return Point(touch_of(object, true)); }

// A variable more than one thread touches: every access is a scheduling
// point, then the access.
template <class T>
class Shared {
 public:
  Shared() = default;
  explicit Shared(T value) : value_(std::move(value)) {}

  class Load : public Point {
   public:
    explicit Load(Shared& shared) noexcept : Point(touch_of(shared.id_, false)), shared_(shared) {}
    T await_resume() const { return shared_.value_; }

   private:
    Shared& shared_;
  };
  class Store : public Point {
   public:
    Store(Shared& shared, T value)
        : Point(touch_of(shared.id_, true)), shared_(shared), value_(std::move(value)) {}
    void await_resume() { shared_.value_ = std::move(value_); }

   private:
    Shared& shared_;
    T value_;
  };

  [[nodiscard]] Load load() noexcept { return Load(*this); }
  [[nodiscard]] Store store(T value) { return Store(*this, std::move(value)); }

 private:
  std::uint32_t id_ = new_object_id();
  T value_{};
};

// pthread_mutex_unlock: a scheduling point, then the unlock.
class Unlock : public Point {
 public:
  explicit Unlock(Mutex::Guard& guard) noexcept
      : Point(guard.mutex() != nullptr ? touch_of(guard.mutex()->id(), true) : kTouchNothing),
        guard_(guard) {}
  void await_resume() const { guard_.unlock(); }

 private:
  Mutex::Guard& guard_;
};
[[nodiscard]] inline Unlock unlock(Mutex::Guard& guard) noexcept { return Unlock(guard); }

}  // namespace corosim::sctbench
