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
// One finisher per thread waits idle between uses. Only an executor's step
// resumes fibers, so another root Task cannot end while a finisher works; but
// a fiber's end runs user code (destructors, listeners), and should that run
// an executor of its own, a second finisher is made rather than the busy one
// resumed, and whichever finds the idle place taken when done ends itself.
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
  // A finisher that found the idle place taken ends and frees its frame.
  std::suspend_never final_suspend() const noexcept { return {}; }
  void return_void() const noexcept {}
  void unhandled_exception() const noexcept { std::terminate(); }
};

// The idle finisher of this thread, destroyed with the thread.
struct IdleFinisher {
  FinisherHandle handle;
  IdleFinisher() = default;
  IdleFinisher(const IdleFinisher&) = delete;
  IdleFinisher& operator=(const IdleFinisher&) = delete;
  ~IdleFinisher() {
    if (handle) std::exchange(handle, {}).destroy();
  }
};
thread_local IdleFinisher idle;

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

// Waits in the idle place until the next root Task ends; true once resumed
// for it, false (without suspending) when another finisher is idle already.
struct WaitIdle {
  bool parked = false;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(FinisherHandle self) noexcept {
    if (idle.handle) return false;
    idle.handle = self;
    parked = true;
    return true;
  }
  bool await_resume() const noexcept { return parked; }
};

void finish(FinisherPromise& job) {
  TaskPromiseBase& task = *std::exchange(job.task, nullptr);
  Fiber& fiber = *task.root_of;
  if (task.error) [[unlikely]]
    fiber.cold().error = std::move(task.error);
  fiber.root = {};
  // Its parameters' destructors run as the fiber, still running.
  std::exchange(job.frame, {}).destroy();
  fiber_finish(fiber);
}

Finisher run_finisher() {
  FinisherPromise* job = co_await OwnPromise{};
  for (;;) {
    finish(*job);
    const bool parked = co_await WaitIdle{};
    if (!parked) co_return;
  }
}

}  // namespace

std::coroutine_handle<> finish_root_task(TaskPromiseBase& promise, std::coroutine_handle<> frame) noexcept {
  assert(promise.root_of != nullptr && "a Task finished that nobody awaited");
  FinisherHandle finisher = std::exchange(idle.handle, {});
  if (!finisher) finisher = run_finisher().handle;
  finisher.promise().task = &promise;
  finisher.promise().frame = frame;
  return finisher;
}

}  // namespace corosim::detail
