// FiberTable: the executor's fiber records. Ids are dense and increase in
// spawn order; the alive list is kept in id order, so reports and teardown
// visit fibers deterministically. A retired record is reused only in a later
// step than the one that retired it, because the code that retires a fiber may
// still be on that fiber's call stack: the executor calls begin_step() as each
// step begins, which frees the records retired before it (one test when there
// are none, with no work at the end of the step).
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <utility>

#include "corosim/executor/assert.h"
#include "corosim/executor/executor.h"
#include "corosim/executor/fiber.h"

namespace corosim::detail {

class FiberTable {
 public:
  FiberTable() = default;
  FiberTable(const FiberTable&) = delete;
  FiberTable& operator=(const FiberTable&) = delete;
  ~FiberTable() {
    clear();
    while (Fiber* fiber = pop(free_)) delete fiber;
  }

  void begin_step() noexcept {
    if (retired_ != nullptr) recycle_retired();
  }

  Fiber& create(Executor& executor, const SourceLoc& spawned_at) {
    Fiber* fiber = pop(free_);
    if (fiber != nullptr) {
      --free_count_;
      // Rebuilt in place (assigning a fresh Fiber would build it on the
      // stack and copy it over), default-initialised: every member has an
      // initialiser (tests/executor/fiber_layout_test.cpp checks), and
      // value-initialisation would first zero the whole record (a
      // `rep stos`) and then write the initialisers over it.
      std::destroy_at(fiber);
      ::new (static_cast<void*>(fiber)) Fiber;
    } else {
      fiber = new Fiber;
    }
    fiber->executor = &executor;
    fiber->id = next_id_++;
    fiber->spawned_at = spawned_at;
    fiber->alive_prev = alive_tail_;
    (alive_tail_ != nullptr ? alive_tail_->alive_next : alive_head_) = fiber;
    alive_tail_ = fiber;
    ++alive_count_;
    return *fiber;
  }

  void retire(Fiber& fiber) {
    (fiber.alive_prev != nullptr ? fiber.alive_prev->alive_next : alive_head_) = fiber.alive_next;
    (fiber.alive_next != nullptr ? fiber.alive_next->alive_prev : alive_tail_) = fiber.alive_prev;
    fiber.alive_next = nullptr;
    --alive_count_;
    push(retired_, fiber);
  }
  Fiber* first_alive() const noexcept { return alive_head_; }
  // The alive fiber with this id, or null (a linear walk: for reports).
  Fiber* find_alive(std::uint32_t id) const noexcept {
    for (Fiber* fiber = alive_head_; fiber != nullptr; fiber = fiber->alive_next) {
      if (fiber->id == id) return fiber;
    }
    return nullptr;
  }

  // Drops every fiber that has not ended, newest first, as a scope unwinds:
  // a fiber may refer to the locals of the one that spawned it (main's above
  // all), so the spawner's frame goes after it. Destructors may wake or drop
  // others, so the list is rescanned from the back each time. Called between
  // steps, when no fiber runs (so no drop is deferred). A closing fiber ends
  // when its cleanup fibers (newer, so dropped first) are gone.
  void drop_unfinished() {
    for (;;) {
      Fiber* fiber = alive_tail_;
      while (fiber != nullptr && (fiber->state == FiberState::done || fiber->closing)) {
        fiber = fiber->alive_prev;
      }
      if (fiber == nullptr) return;
      assert(fiber->state != FiberState::running);
      fiber_drop(*fiber);
    }
  }
  std::size_t alive_count() const noexcept { return alive_count_; }
  std::uint32_t spawned() const noexcept { return next_id_; }

  // Forgets every record (the frames must already be destroyed), between
  // runs: no code of a fiber is on the stack, so every record is free.
  void clear() {
    while (alive_head_ != nullptr) retire(*alive_head_);
    recycle_retired();
    next_id_ = 0;
  }

 private:
  // Keeps this many free records, so a steady spawn/finish pattern allocates
  // nothing, and a run that once had a million fibers does not keep them.
  static constexpr std::size_t kKeepFree = 4096;

  // The free and retired lists are linked through alive_prev, which a record
  // off the alive list no longer needs (alive_next stays null, so a walk of
  // the alive list that holds a retired record stops there).
  static void push(Fiber*& head, Fiber& fiber) noexcept {
    fiber.alive_prev = head;
    head = &fiber;
  }
  static Fiber* pop(Fiber*& head) noexcept {
    Fiber* fiber = head;
    if (fiber != nullptr) head = std::exchange(fiber->alive_prev, nullptr);
    return fiber;
  }

  // The records retired in an earlier step join the free ones.
  void recycle_retired() {
    while (Fiber* fiber = pop(retired_)) {
      if (free_count_ < kKeepFree) {
        push(free_, *fiber);
        ++free_count_;
      } else {
        delete fiber;
      }
    }
  }

  Fiber* alive_head_ = nullptr;
  Fiber* alive_tail_ = nullptr;
  std::size_t alive_count_ = 0;
  std::uint32_t next_id_ = 0;
  Fiber* retired_ = nullptr;  // retired since the step began: not yet free
  Fiber* free_ = nullptr;
  std::size_t free_count_ = 0;
};

// A spawn's new record on the executor, traced as spawned by the running
// fiber: no virtual call (Executor::fiber_table). Out of line
// (runtime/fiber_lifecycle.cpp), so that a spawn stays small enough to inline.
Fiber& create_fiber(Executor& executor, const SourceLoc& spawned_at);

// A finished fiber that nothing refers to any more: its record is freed in a
// later step. Only once per fiber.
inline void retire_fiber(Fiber& fiber) {
  COROSIM_ASSERT(fiber.state == FiberState::done && !fiber.handle_alive && !fiber.queued);
  fiber.executor->fiber_table().retire(fiber);
}

}  // namespace corosim::detail
