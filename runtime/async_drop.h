// Async drop: resources whose cleanup must itself await (flush, close a
// connection, release a lock on a server), and the guarantee that it finishes.
//
//   class Database : public corosim::AsyncResource {
//    public:
//     Task<void> async_close();       // awaits the real close, then mark_closed()
//   };
//   auto db = co_await corosim::scoped(co_await Database::open(engine));
//   co_await db->query("...");
//   co_await db.close();              // or let the guard hand it off (below)
//
//   co_await corosim::with_resource(co_await Database::open(engine),
//                                   [](Database& db) -> Task<void> { ... });
//
// Contract:
// - A type is AsyncDrop if it has `Task<void> async_close()`.
// - scoped(resource) moves the resource into a Scoped guard. close() awaits
//   async_close, which runs as the fiber's shielded cleanup: once begun, it
//   finishes even if the await is cancelled. If the guard is destroyed
//   without close() — its holder returned, threw, or was drop-cancelled — its
//   destructor hands async_close to the holding fiber as a shielded cleanup
//   fiber, and that fiber's completion (what its joiner, TaskScope or select
//   sees) waits until the cleanup has finished. A fiber dropped that way (its
//   handle let go or cancel()ed, or a select or timeout arm that lost) holds
//   up what dropped it: select, timeout and run_until_cancelled return, and a
//   fiber that let a handle go completes, only once the close has finished.
//   So async_close always completes before the enclosing scope does; it
//   never runs detached.
// - with_resource(resource, body) awaits body(resource) and then async_close,
//   whether body returned or threw (the exception is rethrown after the close).
// - Checkers: access through a closed guard is use-after-close; an
//   AsyncResource destroyed while open (its async_close never ran) is
//   async-drop; AsyncResource::ensure_open() reports use-after-close from the
//   resource's own operations.
#pragma once

#include <concepts>
#include <exception>
#include <memory>
#include <optional>
#include <source_location>
#include <type_traits>
#include <utility>

#include "corosim/runtime/spawn.h"
#include "corosim/runtime/task.h"

namespace corosim {

template <class R>
concept AsyncDrop = requires(R& resource) {
  { resource.async_close() } -> std::same_as<Task<void>>;
};

// Optional base for AsyncDrop types: tracks open/closed for the checkers.
class AsyncResource {
 public:
  explicit AsyncResource(std::source_location where = std::source_location::current()) noexcept;
  // A moved-from resource is inert: it owns nothing and is never reported.
  AsyncResource(AsyncResource&& other) noexcept;
  AsyncResource& operator=(AsyncResource&& other) noexcept;
  AsyncResource(const AsyncResource&) = delete;
  AsyncResource& operator=(const AsyncResource&) = delete;

  bool is_open() const noexcept { return state_ == State::open; }
  // For the resource's own operations: reports use-after-close if closed.
  void ensure_open(std::source_location where = std::source_location::current()) const;
  const SourceLoc& created_at() const noexcept { return created_at_; }

 protected:
  // Reports async-drop if the resource is still open (its async_close never ran).
  ~AsyncResource();
  // Call when async_close has finished.
  void mark_closed() noexcept { state_ = State::closed; }

 private:
  enum class State : std::uint8_t { open, closed, moved_from };
  SourceLoc created_at_;
  State state_ = State::open;
};

namespace detail {

// Starts cleanup for the current fiber: a shielded fiber whose completion the
// current fiber's own completion waits for (fiber.h, cleanups_pending). The
// handle may be awaited or detached; either way the cleanup runs to its end.
// Outside a run: an empty handle (nothing can run it).
JoinHandle<void> start_cleanup(Task<void> cleanup, const SourceLoc& where);
// Reports use-after-close of a guard's resource.
void report_use_after_close(const SourceLoc& created_at, const SourceLoc& where);

// Shares the resource with the guard, which may be destroyed before the close
// ends (its close() cancelled).
template <class R>
Task<void> close_shared(std::shared_ptr<R> resource) {
  co_await resource->async_close();
}

}  // namespace detail

// Not constrained at the class: a resource may name Scoped<Self> in its own
// declaration (a factory returning its guard), while Self is incomplete.
template <class R>
class [[nodiscard]] Scoped {
 public:
  Scoped(std::shared_ptr<R> resource, const SourceLoc& where) noexcept
      : resource_(std::move(resource)), where_(where) {}
  Scoped(Scoped&& other) noexcept
      : resource_(std::move(other.resource_)),
        where_(other.where_),
        closing_(std::move(other.closing_)),
        closed_(other.closed_) {}
  Scoped& operator=(Scoped&&) = delete;
  Scoped(const Scoped&) = delete;
  ~Scoped() {
    static_assert(AsyncDrop<R>, "Scoped<R> needs R::async_close() returning corosim::Task<void>");
    if (closing_.valid()) {
      closing_.detach(Outlive::allowed);  // a close() that was cancelled: it runs to its end
    } else if (resource_ != nullptr && !closed_) {
      JoinHandle<void> cleanup = detail::start_cleanup(detail::close_shared(resource_), where_);
      if (cleanup.valid()) cleanup.detach(Outlive::allowed);
    }
  }

  // The resource; reports use-after-close at `where` if it was closed.
  R& get(std::source_location where = std::source_location::current()) {
    if (closed_) detail::report_use_after_close(where_, SourceLoc::from(where));
    return *resource_;
  }
  // Operators cannot take the caller's location: a use after close through
  // them is reported at the guard (get() reports the line of the use).
  R* operator->() { return &get_at(where_); }
  R& operator*() { return get_at(where_); }
  bool is_closed() const noexcept { return closed_; }

  // Awaits async_close now. It runs as the fiber's cleanup, shielded: once
  // begun it finishes even if this await is cancelled (the fiber then
  // completes only after it).
  Task<void> close() {
    if (closed_ || resource_ == nullptr) co_return;
    closed_ = true;
    closing_ = detail::start_cleanup(detail::close_shared(resource_), where_);
    if (!closing_.valid()) co_return;
    co_await closing_;
    closing_ = JoinHandle<void>();
  }

 private:
  R& get_at(const SourceLoc& where) {
    if (closed_) detail::report_use_after_close(where_, where);
    return *resource_;
  }

  std::shared_ptr<R> resource_;
  SourceLoc where_;
  JoinHandle<void> closing_;
  bool closed_ = false;
};

namespace detail {
// Taking the guard is not a suspension point: nothing can run or be
// cancelled between the resource and its guard.
template <class R>
struct [[nodiscard]] ScopedAwaiter {
  static constexpr const char* corosim_what = "scoped";
  static constexpr bool corosim_point = false;
  std::shared_ptr<R> resource;
  SourceLoc where;
  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  Scoped<R> await_resume() noexcept { return Scoped<R>(std::move(resource), where); }
};
}  // namespace detail

// co_await scoped(resource) -> Scoped<R>: the resource's async_close is
// guaranteed to finish before the enclosing fiber completes.
template <class R>
  requires AsyncDrop<std::remove_cvref_t<R>>
detail::ScopedAwaiter<std::remove_cvref_t<R>> scoped(
    R&& resource, std::source_location where = std::source_location::current()) {
  using Resource = std::remove_cvref_t<R>;
  return {std::make_shared<Resource>(std::forward<R>(resource)), SourceLoc::from(where)};
}

// Runs body(resource), then awaits resource.async_close() whether body
// returned or threw; if the caller is drop-cancelled meanwhile, the close is
// handed to the fiber (as with scoped). Returns body's value.
template <AsyncDrop R, class F>
  requires std::invocable<F&, R&>
auto with_resource(R resource, F body, std::source_location where = std::source_location::current())
    -> std::invoke_result_t<F&, R&> {
  using Result = typename std::invoke_result_t<F&, R&>::value_type;
  Scoped<R> guard(std::make_shared<R>(std::move(resource)), SourceLoc::from(where));
  std::exception_ptr error;
  if constexpr (std::is_void_v<Result>) {
    try {
      co_await body(guard.get());
    } catch (...) {
      error = std::current_exception();
    }
    co_await guard.close();
    if (error) std::rethrow_exception(error);
  } else {
    std::optional<Result> value;
    try {
      value.emplace(co_await body(guard.get()));
    } catch (...) {
      error = std::current_exception();
    }
    co_await guard.close();
    if (error) std::rethrow_exception(error);
    co_return std::move(*value);
  }
}

}  // namespace corosim
