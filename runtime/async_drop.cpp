#include "corosim/runtime/async_drop.h"

namespace corosim {

AsyncResource::AsyncResource(std::source_location where) noexcept : created_at_(SourceLoc::from(where)) {}

AsyncResource::AsyncResource(AsyncResource&& other) noexcept
    : created_at_(other.created_at_), state_(std::exchange(other.state_, State::moved_from)) {}

AsyncResource& AsyncResource::operator=(AsyncResource&& other) noexcept {
  if (this != &other) {
    created_at_ = other.created_at_;
    state_ = std::exchange(other.state_, State::moved_from);
  }
  return *this;
}

AsyncResource::~AsyncResource() {
  if (state_ != State::open) return;
  Executor* executor = current_executor();
  if (executor == nullptr) return;
  // Destroyed open right after its fiber spawned something (this step, since
  // it last parked): the derived destructor started its own close, detached.
  // This catches the spawn on every path, including a void Task that flows
  // off its end (its locals die before return_void, so the spawn check
  // cannot see that destructor).
  const Fiber* fiber = current_fiber();
  if (fiber != nullptr && fiber->last_spawned_id != kNoFiber) {
    executor->report_failure(
        Checker::detached_cleanup,
        "a resource created at " + created_at_.str() + " was destroyed while open, and fiber " +
            std::to_string(fiber->id) + " had just spawned fiber " + std::to_string(fiber->last_spawned_id) +
            " at " + fiber->last_spawned_at.str() +
            " (from its destructor): that close runs detached, nobody awaits it, and whatever "
            "follows races with it. Hold the resource with corosim::scoped(...) or "
            "with_resource(...) so its async_close is awaited",
        fiber->last_spawned_at);
    return;
  }
  executor->report_failure(Checker::async_drop,
                           "a resource created at " + created_at_.str() +
                               " was destroyed while open: its async_close never ran (hold it "
                               "with corosim::scoped(...) or with_resource(...))",
                           created_at_);
}

void AsyncResource::ensure_open(std::source_location where) const {
  if (state_ != State::closed) return;
  detail::report_use_after_close(created_at_, SourceLoc::from(where));
}

namespace detail {

JoinHandle<void> start_cleanup(Task<void> cleanup, const SourceLoc& where) {
  Fiber* owner = current_fiber();
  if (owner == nullptr) return {};
  JoinHandle<void> handle = spawn_owned(std::move(cleanup), where);
  Fiber& fiber = handle.fiber_record();
  fiber.canceller = Canceller::none;
  fiber.shield_depth = 1;  // shielded from the cancellation that triggered it
  fiber.cold().cleanup_of = owner;
  ++owner->cold().cleanups_pending;
  return handle;
}

void report_use_after_close(const SourceLoc& created_at, const SourceLoc& where) {
  Executor* executor = current_executor();
  if (executor == nullptr) return;
  executor->report_failure(
      Checker::use_after_close,
      "the resource held at " + created_at.str() + " was used at " + where.str() + " after its async_close",
      where);
}

}  // namespace detail
}  // namespace corosim
