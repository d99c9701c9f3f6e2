// FiberTable: the executor's fiber records. Ids are dense and increase in
// spawn order; the alive list is kept in id order, so reports and teardown
// visit fibers deterministically. Retired records are freed only at the end of
// a step (free_retired), because the code that retires a fiber may still be on
// that fiber's call stack.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <vector>

#include "corosim/executor/fiber.h"

namespace corosim::detail {

class FiberTable {
 public:
  FiberTable() = default;
  FiberTable(const FiberTable&) = delete;
  FiberTable& operator=(const FiberTable&) = delete;
  ~FiberTable() { clear(); }

  Fiber& create(Executor& executor, const SourceLoc& spawned_at) {
    Fiber* fiber;
    if (!free_.empty()) {
      fiber = free_.back().release();
      free_.pop_back();
      // Rebuilt in place: assigning a fresh Fiber{} would build it on the
      // stack and then copy it over, member by member.
      std::destroy_at(fiber);
      std::construct_at(fiber);
    } else {
      fiber = new Fiber{};
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
    fiber.alive_prev = fiber.alive_next = nullptr;
    --alive_count_;
    retired_.emplace_back(&fiber);
  }

  // Frees the records retired during the step; keeps a few for reuse so a
  // steady spawn/finish pattern allocates nothing.
  void free_retired() {
    for (auto& fiber : retired_) {
      if (free_.size() < kKeepFree) free_.push_back(std::move(fiber));
    }
    retired_.clear();
  }

  bool has_retired() const noexcept { return !retired_.empty(); }
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

  // Forgets every record (the frames must already be destroyed).
  void clear() {
    while (alive_head_ != nullptr) retire(*alive_head_);
    free_retired();
    next_id_ = 0;
  }

 private:
  static constexpr std::size_t kKeepFree = 4096;

  Fiber* alive_head_ = nullptr;
  Fiber* alive_tail_ = nullptr;
  std::size_t alive_count_ = 0;
  std::uint32_t next_id_ = 0;
  std::vector<std::unique_ptr<Fiber>> retired_;
  std::vector<std::unique_ptr<Fiber>> free_;
};

}  // namespace corosim::detail
