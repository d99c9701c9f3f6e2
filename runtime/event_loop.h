// EventLoop: a plain real-time, single-threaded executor. The same user code
// that the simulator explores runs here in production order: FIFO scheduling,
// no forced suspensions, steady_clock time (sleeps really sleep).
//
//   int answer = corosim::run_realtime(compute());
//
// run() returns main's value or rethrows its exception. It throws
// std::runtime_error if the program deadlocks (nothing ready, no timer, main
// unfinished) or a CORO_CHECK fails; fibers still alive when main returns are
// dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "corosim/executor/fiber_table.h"
#include "corosim/executor/prng.h"
#include "corosim/executor/run_queue.h"
#include "corosim/executor/timer_heap.h"
#include "corosim/executor/executor.h"
#include "corosim/runtime/spawn.h"
#include "corosim/runtime/task.h"

namespace corosim {

class EventLoop final : public Executor {
 public:
  explicit EventLoop(std::uint64_t random_seed = 0);
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop() override;

  template <class T>
  T run(Task<T> main) {
    enter();
    JoinHandle<T> handle = spawn(std::move(main));
    drive(handle.fiber_record());
    if (!handle.is_finished()) {
      leave(std::move(handle));
      throw std::runtime_error(failure_.empty() ? "corosim: deadlock" : failure_);
    }
    if (!failure_.empty()) {
      leave(std::move(handle));
      throw std::runtime_error(failure_);
    }
    struct Leave {
      EventLoop& loop;
      JoinHandle<T>& handle;
      ~Leave() { loop.leave(std::move(handle)); }
    } leave_on_exit{*this, handle};
    return handle.take_result();
  }

  // Executor. No instrumentation: no trace, ledgers, fault injection or
  // interrupts, and real time is this loop's time.
  void enqueue(Fiber& fiber) override;
  void dequeue(Fiber& fiber) override;
  void defer_drop(Fiber& fiber) override;
  AwaitAction before_await(Fiber& fiber, const SourceLoc& where) override;
  AwaitAction yield_decision(Fiber& fiber) override;
  std::uint64_t now_ns() override;
  void arm_timer(TimerNode& node) override;
  void cancel_timer(TimerNode& node) override;
  std::uint64_t random_below(std::uint64_t bound) override;
  std::uint32_t new_object_id() override;
  void report_failure(Checker checker, std::string message, const SourceLoc& where) override;

 private:
  void enter();
  void drive(const Fiber& main);
  template <class T>
  void leave(JoinHandle<T> handle) {
    {
      JoinHandle<T> release = std::move(handle);
    }
    teardown();
  }
  void teardown();

  detail::FiberTable fibers_;
  detail::RunQueue ready_;
  detail::TimerHeap timers_;
  detail::Prng prng_;
  std::vector<Fiber*> deferred_drops_;
  std::chrono::steady_clock::time_point start_;
  std::string failure_;
  std::uint32_t next_object_id_ = 0;
};

template <class T>
T run_realtime(Task<T> main) {
  EventLoop loop;
  return loop.run(std::move(main));
}

}  // namespace corosim
