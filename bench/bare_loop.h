// The bare run loop: the least a single-threaded coroutine scheduler can do —
// a FIFO of coroutine handles, resumed in turn — with just enough around it to
// run W1-W3 (a task type, yield, spawn/join, a one-slot channel). No
// cancellation, no tracing, no decisions: the physical limit the simulator's
// figures are measured against.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

namespace bare {

// A ring buffer of handles that grows by doubling.
class Loop {
 public:
  void post(std::coroutine_handle<> handle) {
    if (size_ == ring_.size()) grow();
    ring_[(head_ + size_) & (ring_.size() - 1)] = handle;
    ++size_;
  }
  void run() {
    while (size_ != 0) {
      std::coroutine_handle<> handle = ring_[head_];
      head_ = (head_ + 1) & (ring_.size() - 1);
      --size_;
      handle.resume();
    }
  }

 private:
  void grow() {
    std::vector<std::coroutine_handle<>> bigger(ring_.empty() ? 64 : ring_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<std::coroutine_handle<>> ring_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

inline Loop*& current_loop() {
  static Loop* loop = nullptr;
  return loop;
}

// A lazily started task. Awaiting it runs it inline (symmetric transfer);
// spawn() posts it to the loop instead and join() waits for it.
class Task {
 public:
  struct promise_type {
    std::coroutine_handle<> waiter;
    bool done = false;

    Task get_return_object() { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct Final {
        bool await_ready() noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> self) noexcept {
          self.promise().done = true;
          if (self.promise().waiter) return self.promise().waiter;
          return std::noop_coroutine();
        }
        void await_resume() noexcept {}
      };
      return Final{};
    }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  // co_await task: runs it now, resumes the awaiter when it ends.
  bool await_ready() noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> waiter) noexcept {
    handle_.promise().waiter = waiter;
    return handle_;
  }
  void await_resume() noexcept {}

  // Starts it on the loop.
  void spawn() { current_loop()->post(handle_); }
  // co_await task.join(): waits for a spawned task to end.
  auto join() noexcept {
    struct Join {
      std::coroutine_handle<promise_type> task;
      bool await_ready() noexcept { return task.promise().done; }
      void await_suspend(std::coroutine_handle<> waiter) noexcept { task.promise().waiter = waiter; }
      void await_resume() noexcept {}
    };
    return Join{handle_};
  }
  // Runs a top-level task to completion on a fresh loop.
  static void run(Task task) {
    Loop loop;
    current_loop() = &loop;
    task.spawn();
    loop.run();
    assert(task.handle_.promise().done);
    current_loop() = nullptr;
  }

 private:
  explicit Task(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

// co_await yield(): to the back of the queue.
struct yield {
  bool await_ready() noexcept { return false; }
  void await_suspend(std::coroutine_handle<> self) { current_loop()->post(self); }
  void await_resume() noexcept {}
};

// A bounded channel of one slot between one sender and one receiver.
template <class T>
class Channel {
 public:
  auto send(T value) {
    struct Send {
      Channel& channel;
      T value;
      bool await_ready() noexcept { return !channel.slot_.has_value(); }
      void await_suspend(std::coroutine_handle<> self) noexcept { channel.sender_ = self; }
      void await_resume() {
        channel.slot_.emplace(std::move(value));
        if (channel.receiver_) current_loop()->post(std::exchange(channel.receiver_, {}));
      }
    };
    return Send{*this, std::move(value)};
  }
  auto recv() {
    struct Recv {
      Channel& channel;
      bool await_ready() noexcept { return channel.slot_.has_value(); }
      void await_suspend(std::coroutine_handle<> self) noexcept { channel.receiver_ = self; }
      T await_resume() {
        T value = std::move(*channel.slot_);
        channel.slot_.reset();
        if (channel.sender_) current_loop()->post(std::exchange(channel.sender_, {}));
        return value;
      }
    };
    return Recv{*this};
  }

 private:
  std::optional<T> slot_;
  std::coroutine_handle<> sender_;
  std::coroutine_handle<> receiver_;
};

}  // namespace bare
