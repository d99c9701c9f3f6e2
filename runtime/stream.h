// Stream<T>: an async generator. The body produces items with co_yield and
// may co_await anything a Task can (those awaits are suspension points of
// the consuming fiber). Consumed one item at a time:
//
//   Stream<int> numbers() { for (int i = 0; i < 3; ++i) { co_await sleep_for(1ms); co_yield i; } }
//   while (std::optional<int> item = co_await stream.next()) { ... }
//
// Contract:
// - Lazy: the body runs only inside next(), inline in the awaiting fiber
//   (symmetric transfer, no scheduler step), until it yields or returns.
// - next() gives the item, or nullopt once the body has returned; an exception
//   from the body is rethrown from that next() and the stream is over.
// - Cancel-safety of next(): terminal. Cancelling it while the body is inside
//   an await destroys the body (its destructors run) or ends it with Cancelled,
//   and the item in flight is lost; a later next() throws Cancelled (broken()).
//   Cancelling it between items is a no-op.
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "corosim/runtime/cancelled.h"
#include "corosim/runtime/task.h"

namespace corosim {

template <class T>
class [[nodiscard]] Stream {
 public:
  struct promise_type : detail::TaskPromiseBase {
    std::optional<T> current;

    Stream get_return_object() noexcept {
      return Stream(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    struct YieldAwaiter {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> self) const noexcept {
        return self.promise().continuation;
      }
      void await_resume() const noexcept {}
    };
    template <class U>
      requires std::is_convertible_v<U&&, T>
    YieldAwaiter yield_value(U&& item) {
      current.emplace(std::forward<U>(item));
      return {};
    }
    void return_void() noexcept { mark_returning(); }
  };

  Stream() noexcept = default;
  Stream(Stream&& other) noexcept : handle_(std::exchange(other.handle_, {})), broken_(other.broken_) {}
  Stream& operator=(Stream&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
      broken_ = other.broken_;
    }
    return *this;
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { reset(); }

  class NextAwaiter {
   public:
    static constexpr const char* corosim_what = "stream.next";
    static constexpr bool corosim_call = true;
    explicit NextAwaiter(Stream& stream) noexcept : stream_(stream) {}
    NextAwaiter(const NextAwaiter&) = delete;
    ~NextAwaiter() {
      // Destroyed while the body is inside an await: the item is lost, and
      // so is the body (its own awaiters unregister as it is destroyed).
      if (pulling_) {
        stream_.reset();
        stream_.broken_ = true;
      }
    }
    bool await_ready() const noexcept { return !stream_.handle_ || stream_.handle_.done(); }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> consumer) noexcept {
      pulling_ = true;
      stream_.handle_.promise().continuation = consumer;
      return stream_.handle_;
    }
    std::optional<T> await_resume() {
      pulling_ = false;
      if (!stream_.handle_) {
        if (stream_.broken_) throw Cancelled{};
        return std::nullopt;
      }
      promise_type& promise = stream_.handle_.promise();
      if (promise.error) {
        try {
          std::rethrow_exception(std::exchange(promise.error, nullptr));
        } catch (const Cancelled&) {
          // A cancellation that reached the body (stop, interrupt) ended it
          // mid-item, as destroying it does: later next()s must not read as
          // the end of the stream.
          stream_.reset();
          stream_.broken_ = true;
          throw;
        }
      }
      if (stream_.handle_.done()) return std::nullopt;
      std::optional<T> item = std::move(promise.current);
      promise.current.reset();
      return item;
    }

   private:
    Stream& stream_;
    bool pulling_ = false;
  };

  // The next item, or nullopt at the end.
  [[nodiscard]] NextAwaiter next() noexcept { return NextAwaiter(*this); }
  bool valid() const noexcept { return static_cast<bool>(handle_) || broken_; }
  // A cancelled next() destroyed the body: every later next() throws Cancelled.
  bool broken() const noexcept { return broken_; }

 private:
  explicit Stream(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  void reset() noexcept {
    if (handle_) std::exchange(handle_, {}).destroy();
  }

  std::coroutine_handle<promise_type> handle_;
  bool broken_ = false;
};

// A stream of the vector's items, in order.
template <class T>
Stream<T> iter(std::vector<T> items) {
  std::vector<T> owned = std::move(items);
  for (T& item : owned) co_yield std::move(item);
}

}  // namespace corosim
