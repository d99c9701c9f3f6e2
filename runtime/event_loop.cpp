#include "corosim/runtime/event_loop.h"

#include <cassert>
#include <thread>

namespace corosim {

EventLoop::EventLoop(std::uint64_t random_seed) : prng_(random_seed) {
  plain_queue_ = &ready_;  // enqueue() is a plain push
  fiber_table_ = &fibers_;
  await_gate_.open = true;  // every await proceeds; no choice is made
}

EventLoop::~EventLoop() { assert(fibers_.alive_count() == 0); }

void EventLoop::enter() {
  assert(current_executor() == nullptr && "one executor per thread at a time");
  detail::set_current(this, nullptr);
  start_ = std::chrono::steady_clock::now();
  failure_.clear();
}

void EventLoop::drive(const Fiber& main) {
  while (failure_.empty() && main.state != FiberState::done) {
    while (!timers_.empty() && timers_.next_deadline() <= now_ns()) {
      TimerNode& node = timers_.pop();
      detail::fiber_wake(*node.fiber);
    }
    if (ready_.empty()) {
      if (timers_.empty()) return;  // deadlock
      std::this_thread::sleep_until(start_ + std::chrono::nanoseconds(timers_.next_deadline()));
      continue;
    }
    Fiber& fiber = ready_.take(0);
    fiber.state = FiberState::running;
    fibers_.begin_step();
    detail::set_current_fiber(&fiber);
    fiber.resume_point.resume();
    if (fiber.root_returned) detail::finish_returned_root(fiber);
    detail::set_current_fiber(nullptr);
    if (fiber.state == FiberState::running) {
      // Neither parked nor finished: nothing can wake it (see Simulator's
      // stray-suspend checker).
      fiber.state = FiberState::waiting;
      report_failure(
          Checker::stray_suspend,
          "fiber " + std::to_string(fiber.id) + " returned to the loop without parking or finishing",
          fiber.suspended_at);
    }
    for (std::size_t i = 0; i < deferred_drops_.size(); ++i) detail::fiber_drop(*deferred_drops_[i]);
    deferred_drops_.clear();
  }
}

void EventLoop::teardown() {
  fibers_.drop_unfinished();  // whatever outlived main
  ready_.clear();             // before the records it points to go
  fibers_.clear();
  timers_.clear();
  deferred_drops_.clear();
  detail::set_current(nullptr, nullptr);
}

void EventLoop::enqueue(Fiber& fiber) { ready_.push(fiber); }
void EventLoop::dequeue(Fiber& fiber) { ready_.remove(fiber); }
void EventLoop::defer_drop(Fiber& fiber) { deferred_drops_.push_back(&fiber); }
AwaitAction EventLoop::before_await(Fiber&, const SourceLoc&) { return AwaitAction::proceed; }
AwaitAction EventLoop::yield_decision(Fiber&) { return AwaitAction::proceed; }

std::uint64_t EventLoop::now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_)
          .count());
}

void EventLoop::arm_timer(TimerNode& node) { timers_.arm(node); }
void EventLoop::cancel_timer(TimerNode& node) { timers_.cancel(node); }
std::uint64_t EventLoop::random_below(std::uint64_t bound) { return prng_.below(bound); }
std::uint32_t EventLoop::new_object_id() { return next_object_id_++; }

void EventLoop::report_failure(Checker checker, std::string message, const SourceLoc& where) {
  if (!failure_.empty()) return;
  failure_ = std::string("corosim: ") + checker_name(checker) + " at " + where.str() + ": " + message;
}

}  // namespace corosim
