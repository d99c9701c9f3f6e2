// corosim::asio::Context: a simulated execution context for asio. Its
// executor (convertible to asio::any_io_executor) runs every handler — posted
// work, completions, coroutine resumptions — as a scheduling step of its own,
// a fiber the strategy chooses among the ready ones, so asio interleavings are
// explored like native ones. Unmodified asio timers run on virtual time.
//
// How (docs/asio.md):
// - execute(f) starts a fiber that runs f once. A possibly-blocking execute
//   (asio's dispatch) runs f inline when it comes from a handler of this
//   context — as io_context does on its own thread — and otherwise is a post.
// - The context owns an asio::io_context for asio's services (timers, strands,
//   channels attach to the executor's context). It is never run: the
//   simulator polls it when no fiber is ready, at the current virtual time.
// - Clocks read virtual time while the context lives (runtime/real_time.h's
//   VirtualClock), so asio's timer queue sees the simulator's time; asio's
//   timerfd is replaced by an eventfd the context signals when virtual time
//   reaches the deadline asio asked for, which tells the simulator how far
//   time may jump. Whether any timer is pending is asio's own outstanding
//   work count: poll() stops an io_context that has none.
//
// One Context per simulated run at a time, created inside the run (a
// scenario's body: asio/scenario.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "corosim/asio/canceller.h"
#include "corosim/asio/net.h"
#include "corosim/asio/tracking.h"
#include "corosim/executor/executor.h"
#include "corosim/executor/source_loc.h"
#include "corosim/runtime/event.h"
#include "corosim/runtime/real_time.h"
#include "corosim/runtime/spawn.h"
#include "corosim/runtime/task.h"
#include "corosim/runtime/time.h"

namespace corosim::asio {

class Context;

namespace detail {
// A sleep until now that always suspends: its simulator timer, due at once,
// is delayed by the run's jitter (a decided fraction), so an asio timer's
// completion arrives late as a corosim timer's would.
class [[nodiscard]] TimerJitter : public corosim::detail::SleepAwaiter {
 public:
  static constexpr const char* corosim_what = "asio timer jitter";
  TimerJitter() : SleepAwaiter(corosim::now()) {}
  bool await_ready() const noexcept { return false; }
};
}  // namespace detail

// The simulated executor. Blocking: never by default (execute is a post);
// prefer(blocking.possibly) gives the dispatch flavour. A tracked executor
// (outstanding_work.tracked: what asio's pending operations and running
// coroutines hold) counts as outstanding work of its context while it
// lives, as io_context's does: work left when a scenario's body has finished
// is work that would keep io_context::run from returning.
class Executor {
 public:
  explicit Executor(Context& context, bool possibly_blocking = false, bool tracked = false) noexcept
      : context_(&context), possibly_blocking_(possibly_blocking), tracked_(tracked) {
    if (tracked_) started();
  }
  Executor(const Executor& other) noexcept
      : context_(other.context_), possibly_blocking_(other.possibly_blocking_), tracked_(other.tracked_) {
    if (tracked_) started();
  }
  Executor(Executor&& other) noexcept
      : context_(other.context_), possibly_blocking_(other.possibly_blocking_), tracked_(other.tracked_) {
    other.tracked_ = false;
  }
  Executor& operator=(Executor other) noexcept {
    std::swap(context_, other.context_);
    std::swap(possibly_blocking_, other.possibly_blocking_);
    std::swap(tracked_, other.tracked_);
    return *this;
  }
  ~Executor() {
    if (tracked_) finished();
  }

  net::execution_context& query(net::execution::context_t) const noexcept;
  net::execution::blocking_t query(net::execution::blocking_t) const noexcept {
    return possibly_blocking_ ? net::execution::blocking_t(net::execution::blocking.possibly)
                              : net::execution::blocking_t(net::execution::blocking.never);
  }
  net::execution::outstanding_work_t query(net::execution::outstanding_work_t) const noexcept {
    return tracked_ ? net::execution::outstanding_work_t(net::execution::outstanding_work.tracked)
                    : net::execution::outstanding_work_t(net::execution::outstanding_work.untracked);
  }
  Executor require(net::execution::blocking_t::never_t) const noexcept {
    return Executor(*context_, false, tracked_);
  }
  Executor require(net::execution::blocking_t::possibly_t) const noexcept {
    return Executor(*context_, true, tracked_);
  }
  Executor require(net::execution::outstanding_work_t::tracked_t) const noexcept {
    return Executor(*context_, possibly_blocking_, true);
  }
  Executor require(net::execution::outstanding_work_t::untracked_t) const noexcept {
    return Executor(*context_, possibly_blocking_, false);
  }

  template <class F>
  void execute(F&& f) const;

  Context& context() const noexcept { return *context_; }
  friend bool operator==(const Executor& a, const Executor& b) noexcept {
    return a.context_ == b.context_ && a.possibly_blocking_ == b.possibly_blocking_;
  }
  friend bool operator!=(const Executor& a, const Executor& b) noexcept { return !(a == b); }

 private:
  void started() const noexcept;
  void finished() const noexcept;

  Context* context_;
  bool possibly_blocking_;
  bool tracked_;
};

class Context final : public ExternalSource {
 public:
  Context();
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  Executor get_executor() noexcept { return Executor(*this); }
  net::io_context& io_context() noexcept { return *io_; }

  // Runs f as a step of its own, or inline (dispatch from one of this
  // context's handlers).
  template <class F>
  void execute(F&& f, bool possibly_blocking);

  // Drops the handlers not yet run and shuts asio's services down, destroying
  // the operations still pending (and the coroutine frames they own). The
  // destructor does it too; a scenario calls it while the run still stands.
  void shutdown();
  // Runs at shutdown, before asio's services go: for objects outside asio
  // that hold pending handlers (a Stream's reads), whose frames may own them
  // in turn.
  void at_shutdown(std::function<void()> release) { releases_.push_back(std::move(release)); }

  // Outstanding work: tracked executors alive (pending operations, running
  // coroutines, work guards).
  std::int64_t outstanding_work() const noexcept { return work_; }
  void work_started() noexcept { ++work_; }
  void work_finished() noexcept { --work_; }
  // Completes once nothing left can make progress by itself: no handler is
  // queued and no asio timer is pending (time passes for those, as
  // io_context::run waits for them). What the body left behind is then done,
  // or waits for something that will never come.
  auto drained() {
    draining_ = true;
    return drained_.wait();
  }

  // ExternalSource: runs asio's due timers; their completions become handlers.
  bool poll() override;
  std::uint64_t next_deadline_ns() override;

  // asio's operations started on this context and not completed yet (a
  // timer wait, a channel send, a stream read), recorded through asio's
  // handler-tracking hooks (asio/tracking.h) for the deadlock and leak
  // reports.
  bool is_io_context(const void* execution_context) const noexcept;
  void operation_created(tracking::Tracked& operation, const char* object_type, const char* name,
                         SourceLoc awaited_at, bool never_due);
  // True if it was a timer wait.
  bool operation_completed(const tracking::Tracked& operation) noexcept;
  // The next handler started delivers a timer's firing: it waits out the
  // run's timer jitter first (a decision, as for the simulator's timers).
  void timer_completing(bool fired) noexcept { late_timer_next_ = fired && jitter_; }
  // "\n  N asio operation(s) pending:" and one line per operation, oldest first.
  std::string describe_pending() const override;

  // Declared cancellers (asio/canceller.h): each is considered, as a step of
  // its own, after every operation that starts while it lives; one that
  // emitted is watched for the cancel-liveness checker.
  void add_canceller(const std::shared_ptr<ExternalCanceller::State>& canceller) {
    cancellers_.push_back(canceller);
  }
  // Reports a watched coroutine still running stop_max_ns after its
  // canceller emitted (or, from finish(), still running at all); true if any.
  bool check_cancel_liveness(bool at_end);

  // The timerfd asio's reactor asks for, played by an eventfd (context.cpp).
  int fake_timerfd_create(int flags);
  bool owns_timer_fd(int fd) const noexcept { return fd >= 0 && fd == timer_fd_; }
  int fake_timerfd_settime(int flags, const void* new_value, void* old_value);

  // The context whose io_context is being set up or polled on this thread.
  static Context* current() noexcept;

 private:
  template <class F>
  void start_handler(F&& f);
  void prune_finished();
  std::uint64_t timer_deadline();

  struct Operation {
    const char* object_type;
    const char* name;
    SourceLoc awaited_at;
    bool timer;
    bool never_due;  // a timer wait until time_point::max(): only a cancel completes it
  };

  VirtualClock clock_;
  corosim::Executor* executor_ = nullptr;
  std::optional<net::io_context> io_;  // reset by shutdown()
  std::vector<JoinHandle<void>> handlers_;
  std::vector<std::function<void()>> releases_;
  std::uint64_t handlers_started_ = 0;
  int handler_depth_ = 0;  // > 0 while one of this context's handlers runs
  bool closing_ = false;
  bool draining_ = false;
  Event drained_;
  std::int64_t work_ = 0;
  int timer_fd_ = -1;
  std::uint64_t timer_deadline_ns_ = kNoDeadline;
  bool timers_pending_ = false;
  // Pending timer waits, and those of them due never: when every one is, no
  // time that passes completes any, and the run is as stuck as with none.
  std::int64_t timer_waits_ = 0;
  std::int64_t never_due_waits_ = 0;
  // Keyed by the order they started in (never by address: reports are
  // deterministic).
  std::map<std::uint64_t, Operation> operations_;
  std::uint64_t operations_started_ = 0;
  std::vector<std::weak_ptr<ExternalCanceller::State>> cancellers_;  // in declaration order
  bool jitter_ = false;                                              // the run has timer jitter
  bool late_timer_next_ = false;
};

// --- implementation -----------------------------------------------------------

inline net::execution_context& Executor::query(net::execution::context_t) const noexcept {
  return context_->io_context();
}
inline void Executor::started() const noexcept { context_->work_started(); }
inline void Executor::finished() const noexcept { context_->work_finished(); }

template <class F>
void Executor::execute(F&& f) const {
  context_->execute(std::forward<F>(f), possibly_blocking_);
}

template <class F>
void Context::execute(F&& f, bool possibly_blocking) {
  if (closing_) return;  // shutting down: the handler is destroyed, never run
  if (possibly_blocking && handler_depth_ > 0) {
    std::decay_t<F> function(std::forward<F>(f));
    function();
    return;
  }
  start_handler(std::forward<F>(f));
}

// Where a handler fiber was spawned: by asio, not at a line of the user's.
inline constexpr SourceSite kHandlerSite{"asio handler", "", 0, 0};

template <class F>
void Context::start_handler(F&& f) {
  prune_finished();
  ++handlers_started_;
  const bool late = std::exchange(late_timer_next_, false);
  auto body = [this, late, function = std::decay_t<F>(std::forward<F>(f))]() mutable -> Task<void> {
    if (late) co_await detail::TimerJitter{};
    ++handler_depth_;
    struct Leave {
      int& depth;
      ~Leave() { --depth; }
    } leave{handler_depth_};
    function();
    co_return;
  };
  JoinHandle<void> handle = corosim::detail::spawn_owned(std::move(body), SourceLoc::custom(kHandlerSite));
  handle.shield();  // asio's cancellation reaches operations through their slots, not here
  handlers_.push_back(std::move(handle));
}

}  // namespace corosim::asio
