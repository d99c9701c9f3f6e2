// Pollable<T>: a borrowed future. Its Task runs (as a fiber of its own) only
// while its owner awaits it — directly, `co_await pollable`, or as an arm of
// select(), which, unlike an owned Task arm, is not cancelled when it loses:
// it stays where it was and continues the next time it is awaited. This is
// Rust's `select! { _ = &mut fut => ... }`, and the way a future can hold a
// lock nobody polls (futurelock).
//
// Contract:
// - Polling::driven (the default): the Task starts at the first await and
//   progresses only while awaited; while the owner does anything else its
//   wake-ups are held (runtime/driver.h). Polling::spawned: it starts at once
//   and progresses on its own, like spawn().
// - co_await pollable gives its value (or rethrows), once. Cancel-safety of
//   the await: total — the operation stays pending.
// - Destroying a Pollable drops its Task if it has not finished.
#pragma once

#include <source_location>
#include <utility>

#include "corosim/runtime/driver.h"
#include "corosim/runtime/spawn.h"
#include "corosim/runtime/task.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

template <class T>
class Pollable {
 public:
  explicit Pollable(Task<T> task, Polling polling = Polling::driven,
                    std::source_location where = std::source_location::current())
      : driver_("pollable", SourceLoc::from(where)),
        handle_(detail::start_task(std::move(task), SourceLoc::from(where),
                                   polling == Polling::driven ? &driver_ : nullptr)) {
    handle_.fiber_record().canceller = Canceller::none;  // cancelled only with its owner
  }
  // The driver's address is in the member fiber: a Pollable stays put.
  Pollable(const Pollable&) = delete;
  Pollable& operator=(const Pollable&) = delete;

  bool is_finished() const noexcept { return handle_.is_finished(); }
  Driver& driver() noexcept { return driver_; }
  JoinHandle<T>& handle() noexcept { return handle_; }

  class Awaiter {
   public:
    static constexpr const char* corosim_what = "pollable";
    explicit Awaiter(Pollable& pollable) noexcept : pollable_(pollable), join_(pollable.handle_) {}
    Awaiter(const Awaiter&) = delete;
    ~Awaiter() { end(); }
    static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
    bool await_ready() const noexcept { return join_.await_ready(); }
    void await_suspend(std::coroutine_handle<> self) {
      pollable_.driver_.begin_poll(detail::running_fiber("awaiting a Pollable"));
      polling_ = true;
      join_.await_suspend(self);
    }
    T await_resume() {
      end();
      return join_.await_resume();
    }

   private:
    void end() noexcept {
      if (std::exchange(polling_, false)) pollable_.driver_.end_poll();
    }
    Pollable& pollable_;
    detail::JoinAwaiter<T> join_;
    bool polling_ = false;
  };
  Awaiter operator co_await() & noexcept { return Awaiter(*this); }

 private:
  Driver driver_;  // declared first: outlives the member fiber
  JoinHandle<T> handle_;
};

}  // namespace corosim
