#include "corosim/asio/context.h"

#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <cassert>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "corosim/asio/scenario.h"
#include "corosim/runtime/next_definition.h"
#include "corosim/runtime/usage_error.h"

namespace corosim::asio {

namespace {
thread_local Context* tls_context = nullptr;
}  // namespace

Context* Context::current() noexcept { return tls_context; }

Context::Context() : io_(std::in_place, 1) {
  executor_ = current_executor();
  if (executor_ == nullptr || !executor_->polls_sources()) {
    throw UsageError("corosim::asio::Context is for simulated runs: create it inside a scenario");
  }
  if (tls_context != nullptr) throw UsageError("one corosim::asio::Context per run at a time");
  tls_context = this;
  jitter_ = executor_->timer_jitter_ns() != 0;
  executor_->register_source(*this);
}

Context::~Context() {
  shutdown();
  if (registered) executor_->unregister_source(*this);
  tls_context = nullptr;
}

void Context::shutdown() {
  if (closing_) return;
  closing_ = true;
  // Handlers not yet run go first: they may own asio objects (timers) whose
  // destructors talk to the io_context's services.
  for (JoinHandle<void>& handle : handlers_) {
    if (!handle.is_finished()) handle.cancel();
  }
  handlers_.clear();
  std::vector<std::function<void()>> releases = std::move(releases_);
  for (auto& release : releases) release();
  // Destroys the operations still pending, and with them the coroutine
  // frames waiting on them; execute() is closed meanwhile.
  io_.reset();  // its reactor closes the timer descriptor
  timer_fd_ = -1;
}

bool Context::is_io_context(const void* execution_context) const noexcept {
  return io_ &&
         execution_context == static_cast<const void*>(static_cast<const net::execution_context*>(&*io_));
}

void Context::operation_created(tracking::Tracked& operation, const char* object_type, const char* name,
                                SourceLoc awaited_at, bool never_due) {
  if (closing_) return;
  operation.corosim_operation = ++operations_started_;
  const bool timer = std::strcmp(object_type, "deadline_timer") == 0;
  never_due = never_due && timer;
  operations_.emplace(operation.corosim_operation,
                      Operation{object_type, name, awaited_at, timer, never_due});
  timer_waits_ += timer ? 1 : 0;
  never_due_waits_ += never_due ? 1 : 0;
  if (!cancellers_.empty()) {
    // The moment after this initiation, when its coroutine has suspended on
    // it: a point for each declared canceller.
    start_handler([this] {
      std::erase_if(cancellers_, [](const std::weak_ptr<ExternalCanceller::State>& weak) {
        if (std::shared_ptr<ExternalCanceller::State> state = weak.lock()) state->consider();
        return weak.expired();
      });
    });
  }
}

bool Context::operation_completed(const tracking::Tracked& operation) noexcept {
  auto found = operations_.find(operation.corosim_operation);
  if (found == operations_.end()) return false;
  const bool timer = found->second.timer;
  timer_waits_ -= timer ? 1 : 0;
  never_due_waits_ -= found->second.never_due ? 1 : 0;
  operations_.erase(found);
  return timer;
}

std::string Context::describe_pending() const {
  if (operations_.empty()) return {};
  std::string text = absl::StrCat("\n  ", operations_.size(), " asio operation(s) pending:");
  bool unlocated = false;
  for (const auto& [number, operation] : operations_) {
    absl::StrAppend(&text, "\n    ", operation.object_type, " ", operation.name);
    if (operation.never_due) absl::StrAppend(&text, " (due never: its expiry is time_point::max())");
    if (operation.awaited_at.known()) {
      absl::StrAppend(&text, ", awaited at ", operation.awaited_at.str());
    } else {
      unlocated = true;
    }
  }
  if (unlocated) {
    absl::StrAppend(&text,
                    "\n  (asio::use_awaitable carries no source line; a use_awaitable_t<>() token or an "
                    "object of use_awaitable_t<>::as_default_on_t<...> type records the awaiting line)");
  }
  return text;
}

bool Context::check_cancel_liveness(bool at_end) {
  const std::uint64_t bound = executor_->stop_max_ns();
  if (bound == 0) return false;  // the checker is off
  const std::uint64_t now = executor_->now_ns();
  for (const std::weak_ptr<ExternalCanceller::State>& weak : cancellers_) {
    std::shared_ptr<ExternalCanceller::State> state = weak.lock();
    if (!state || !state->owes_finish()) continue;
    if (!at_end && now < state->emitted_at_ns + bound) continue;
    state->reported = true;
    const double seconds = static_cast<double>(now - state->emitted_at_ns) / 1e9;
    executor_->report_failure(
        Checker::cancel_liveness,
        absl::StrCat("the coroutine watched by the declared canceller made at ", state->declared_at.str(),
                     " was cancelled at ", state->emitted_at_ns / 1'000'000, " ms and is still running ",
                     absl::SixDigits(seconds),
                     " s later: it catches the cancellation and carries on, or its cleanup waits for "
                     "something that never comes",
                     at_end ? " (nothing else is left to run)" : "", describe_pending()),
        state->declared_at);
    return true;
  }
  return false;
}

void finish(Context& context, BodyRun& run, std::source_location where) {
  if (!run.error && context.check_cancel_liveness(true)) {
    context.shutdown();
    return;
  }
  if (!run.error) {
    const std::int64_t work = context.outstanding_work();
    if (work > 0) {
      current_executor()->report_failure(
          Checker::leak,
          absl::StrCat(work,
                       " unit(s) of asio work still outstanding when the scenario's coroutine finished: a "
                       "coroutine it started is still running, or waits on an operation that never completes "
                       "(in production io_context::run would not return). Join or stop what the body starts.",
                       context.describe_pending()),
          SourceLoc::from(where));
    }
  }
  context.shutdown();
  if (run.error) std::rethrow_exception(run.error);
}

void Context::prune_finished() {
  std::erase_if(handlers_, [](const JoinHandle<void>& handle) { return handle.is_finished(); });
}

bool Context::poll() {
  if (closing_) return false;
  const std::uint64_t started = handlers_started_;
  if (timer_fd_ >= 0 && timer_deadline_ns_ != kNoDeadline && executor_->now_ns() >= timer_deadline_ns_) {
    // The deadline asio asked for has come: its timerfd becomes readable,
    // and its reactor looks at the timer queue on this poll.
    timer_deadline_ns_ = kNoDeadline;
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t drained = ::read(timer_fd_, &count, sizeof count);
    count = 1;
    [[maybe_unused]] ssize_t written = ::write(timer_fd_, &count, sizeof count);
  }
  if (check_cancel_liveness(false)) return true;
  io_->restart();
  io_->poll();
  // poll() stops an io_context that starts with no outstanding work: after
  // a second poll, stopped() says whether any timer is still pending. Waits
  // until time_point::max() (the condition-variable idiom) are pending but
  // never fire: if they are all there is, waiting on time cannot help.
  io_->restart();
  io_->poll();
  timers_pending_ = !io_->stopped() && !(timer_waits_ > 0 && timer_waits_ == never_due_waits_);
  if (handlers_started_ != started) return true;
  if (draining_ && !timers_pending_) {
    draining_ = false;
    drained_.set();
    return true;
  }
  return false;
}

std::uint64_t Context::next_deadline_ns() {
  std::uint64_t liveness = kNoDeadline;
  if (const std::uint64_t bound = executor_->stop_max_ns(); bound != 0 && !closing_) {
    for (const std::weak_ptr<ExternalCanceller::State>& weak : cancellers_) {
      std::shared_ptr<ExternalCanceller::State> state = weak.lock();
      if (!state || !state->owes_finish()) continue;
      liveness = std::min(liveness, state->emitted_at_ns + bound);
    }
  }
  return std::min(liveness, timer_deadline());
}

std::uint64_t Context::timer_deadline() {
  if (closing_ || !timers_pending_ || timer_deadline_ns_ == kNoDeadline) return kNoDeadline;
  // Never now or earlier: asio asked for a deadline that the poll just past
  // found nothing at (it rounds to microseconds).
  const std::uint64_t now = executor_->now_ns();
  return timer_deadline_ns_ > now ? timer_deadline_ns_ : now + 1'000;
}

int Context::fake_timerfd_create(int flags) {
  if (timer_fd_ >= 0) return -1;  // one reactor per context
  timer_fd_ = ::eventfd(0, EFD_NONBLOCK | ((flags & TFD_CLOEXEC) != 0 ? EFD_CLOEXEC : 0));
  return timer_fd_;
}

int Context::fake_timerfd_settime(int flags, const void* new_value, void* old_value) {
  const auto& value = *static_cast<const itimerspec*>(new_value);
  if (old_value != nullptr) *static_cast<itimerspec*>(old_value) = itimerspec{};
  const std::uint64_t ns = static_cast<std::uint64_t>(value.it_value.tv_sec) * 1'000'000'000 +
                           static_cast<std::uint64_t>(value.it_value.tv_nsec);
  const std::uint64_t now = executor_->now_ns();
  if (ns == 0) {
    timer_deadline_ns_ = kNoDeadline;  // disarmed
  } else if ((flags & TFD_TIMER_ABSTIME) != 0) {
    // On the virtual monotonic clock: its base, then the run's time.
    const std::uint64_t base =
        static_cast<std::uint64_t>(VirtualClock::kMonotonicBaseSeconds) * 1'000'000'000;
    timer_deadline_ns_ = ns > base ? ns - base : now;
  } else {
    timer_deadline_ns_ = now + ns;
  }
  return 0;
}

}  // namespace corosim::asio

// asio's epoll reactor asks for a timerfd and arms it with the time to its
// next timer. Inside a simulated run, the context plays it (above); anywhere
// else the calls go to the C library unchanged.
using corosim::detail::next_definition;

extern "C" {

int timerfd_create(int clock, int flags) noexcept {
  if (corosim::asio::Context* context = corosim::asio::Context::current()) {
    return context->fake_timerfd_create(flags);
  }
  static std::atomic<int (*)(int, int)> cached{nullptr};
  auto next = next_definition(cached, "timerfd_create");
  return next != nullptr ? next(clock, flags) : -1;
}

int timerfd_settime(int fd, int flags, const struct itimerspec* new_value,
                    struct itimerspec* old_value) noexcept {
  if (corosim::asio::Context* context = corosim::asio::Context::current();
      context && context->owns_timer_fd(fd)) {
    return context->fake_timerfd_settime(flags, new_value, old_value);
  }
  static std::atomic<int (*)(int, int, const struct itimerspec*, struct itimerspec*)> cached{nullptr};
  auto next = next_definition(cached, "timerfd_settime");
  return next != nullptr ? next(fd, flags, new_value, old_value) : -1;
}

int timerfd_gettime(int fd, struct itimerspec* current) noexcept {
  if (corosim::asio::Context* context = corosim::asio::Context::current();
      context && context->owns_timer_fd(fd)) {
    *current = itimerspec{};
    return 0;
  }
  static std::atomic<int (*)(int, struct itimerspec*)> cached{nullptr};
  auto next = next_definition(cached, "timerfd_gettime");
  return next != nullptr ? next(fd, current) : -1;
}

}  // extern "C"
