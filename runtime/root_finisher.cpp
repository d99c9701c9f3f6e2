// The end of a fiber whose root is the spawned Task itself (spawn of a
// Task<void>: no RootTask wrapper, one frame per fiber instead of two).
//
// The Task's final awaiter transfers to a finisher: a small coroutine that
// moves the Task's exception into the fiber record, destroys the Task's
// frame (a finished fiber keeps its result, not its parameters) and finishes
// the fiber. The work runs in the finisher's frame, after the Task has fully
// suspended, because destroying a frame from inside its own handle-returning
// await_suspend leaves the compilers free to read the frame afterwards.
//
// One finisher per thread, made on first use, is enough: only an executor's
// step resumes fibers, and one executor runs per thread at a time
// (Simulator::run and EventLoop::enter assert it), so no root Task ends while
// the finisher is at work.
#include <cassert>
#include <coroutine>
#include <exception>
#include <utility>

#include "corosim/executor/fiber.h"
#include "corosim/runtime/task.h"

namespace corosim::detail {

namespace {

struct FinisherPromise;
using FinisherHandle = std::coroutine_handle<FinisherPromise>;

struct Finisher {
  using promise_type = FinisherPromise;
  FinisherHandle handle;
};

struct FinisherPromise {
  TaskPromiseBase* task = nullptr;
  std::coroutine_handle<> frame;

  Finisher get_return_object() noexcept { return {FinisherHandle::from_promise(*this)}; }
  std::suspend_always initial_suspend() const noexcept { return {}; }
  std::suspend_always final_suspend() const noexcept { return {}; }  // never reached: it loops
  void return_void() const noexcept {}
  void unhandled_exception() const noexcept { std::terminate(); }
};

// This thread's finisher, destroyed with the thread.
struct ThreadFinisher {
  FinisherHandle handle;
  ThreadFinisher() = default;
  ThreadFinisher(const ThreadFinisher&) = delete;
  ThreadFinisher& operator=(const ThreadFinisher&) = delete;
  ~ThreadFinisher() {
    if (handle) std::exchange(handle, {}).destroy();
  }
};
thread_local ThreadFinisher finisher;

// Gives the finisher's own promise without suspending.
struct OwnPromise {
  FinisherPromise* promise = nullptr;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(FinisherHandle self) noexcept {
    promise = &self.promise();
    return false;
  }
  FinisherPromise* await_resume() const noexcept { return promise; }
};

void finish(FinisherPromise& job) {
  TaskPromiseBase& task = *job.task;
  Fiber& fiber = *task.root_of;
  if (task.error) [[unlikely]]
    fiber.cold().error = std::move(task.error);
  fiber.root = {};
  // Its parameters' destructors run as the fiber, still running.
  std::exchange(job.frame, {}).destroy();
  fiber_finish(fiber);
  job.task = nullptr;  // idle again (the Task's promise is gone with its frame)
}

Finisher run_finisher() {
  FinisherPromise* job = co_await OwnPromise{};
  for (;;) {
    finish(*job);
    co_await std::suspend_always{};
  }
}

}  // namespace

std::coroutine_handle<> finish_root_task(TaskPromiseBase& promise, std::coroutine_handle<> frame) noexcept {
  assert(promise.root_of != nullptr && "a Task finished that nobody awaited");
  if (!finisher.handle) [[unlikely]]
    finisher.handle = run_finisher().handle;
  FinisherPromise& job = finisher.handle.promise();
  assert(job.task == nullptr && "a root Task ended while the finisher was at work");
  job.task = &promise;
  job.frame = frame;
  return finisher.handle;
}

}  // namespace corosim::detail
