// OnceCell<T> and Once: a value initialised once, asynchronously, by
// whichever fiber asks first; tokio's OnceCell, Go's sync.Once.
//
//   corosim::OnceCell<Config> config;
//   const Config& c = co_await config.get_or_init([] { return load_config(); });
//
//   corosim::Once setup;
//   co_await setup.call_once([] { return create_tables(); });
//
// Contract:
// - The first caller runs the initializer (a Task, awaited in the caller's
//   fiber); callers that come while it runs wait, and all of them get the
//   one value.
// - An initializer that throws or is cancelled leaves the cell empty: the
//   exception (or Cancelled) goes to its caller only, and one of the waiting
//   callers runs its own initializer next (tokio's rule: a failed init is
//   retried, not shared).
// - Cancel-safety of get_or_init: total — a waiting caller leaves the queue;
//   a cancelled initializer hands the work on as above.
// - A caller that waits for an initializer that waits (directly or not) for
//   the caller is a deadlock with the cycle named: the waiters' edge leads to
//   the initializing fiber. An initializer that asks for its own cell is
//   the self-cycle "held by this same fiber".
// - Ledger: no caller waits while the cell is set or nobody initialises it
//   (a lost wake-up).
#pragma once

#include <coroutine>
#include <cstdint>
#include <functional>
#include <optional>
#include <source_location>
#include <string>
#include <utility>

#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/detail/waiter_list.h"
#include "corosim/runtime/task.h"

namespace corosim {

namespace detail {

// The waiting and the bookkeeping of a OnceCell, apart from its value.
class OnceState : public WaitTarget, public Ledger {
 public:
  OnceState(const OnceState&) = delete;
  OnceState& operator=(const OnceState&) = delete;

  // Parks while another fiber initialises (completes at once otherwise).
  class [[nodiscard]] TurnAwaiter {
   public:
    static constexpr const char* corosim_what = "oncecell.get_or_init";
    explicit TurnAwaiter(OnceState& state) noexcept : state_(state) {}
    TurnAwaiter(const TurnAwaiter&) = delete;
    TurnAwaiter& operator=(const TurnAwaiter&) = delete;
    ~TurnAwaiter() { unlink_if_queued(node_); }
    static constexpr bool corosim_parks_unless_ready = true;  // no yield decision before a park
    bool await_ready() const noexcept { return !state_.busy(); }
    void await_suspend(std::coroutine_handle<>);
    void await_resume() const noexcept {}

   private:
    OnceState& state_;
    WaiterNode node_;
  };

  // The running initializer's claim: released on success (set) or when it
  // ends without a value (thrown, cancelled), waking every waiter.
  class Claim {
   public:
    explicit Claim(OnceState& state);
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;
    ~Claim() { state_.release(); }

   private:
    OnceState& state_;
  };

  bool busy() const noexcept { return initializer_ != kNoFiber; }
  std::uint32_t holder_id() const noexcept override { return initializer_; }
  void describe(std::string& out) const override;
  void audit(const FiberAlive& alive, std::string& out) const override;

 protected:
  explicit OnceState(const SourceLoc& created_at);
  ~OnceState() = default;
  virtual bool has_value() const noexcept = 0;

 private:
  void release();

  WaiterList waiters_;
  std::uint32_t id_;
  std::uint32_t initializer_ = kNoFiber;
};

}  // namespace detail

template <class T>
class OnceCell final : private detail::OnceState {
 public:
  explicit OnceCell(std::source_location created_at = std::source_location::current())
      : OnceState(SourceLoc::from(created_at)) {}

  // The value, initialised by init() (a callable returning Task<T>) if
  // nobody has yet. (A reference_wrapper: Task holds no references; it
  // binds to T& where one is asked for.)
  template <class Init>
  Task<std::reference_wrapper<T>> get_or_init(Init init) {
    for (;;) {
      if (value_) co_return std::ref(*value_);
      if (!busy()) {
        Claim claim(*this);
        T value = co_await init();
        value_.emplace(std::move(value));
        co_return std::ref(*value_);
      }
      co_await TurnAwaiter(*this);
    }
  }

  T* get() noexcept { return value_ ? &*value_ : nullptr; }
  bool initialized() const noexcept { return value_.has_value(); }
  using OnceState::describe;

 private:
  bool has_value() const noexcept override { return value_.has_value(); }
  std::optional<T> value_;
};

// Go's sync.Once, asynchronously: call_once(init) runs init() (returning
// Task<void>) once; every caller returns after it succeeded.
class Once {
 public:
  explicit Once(std::source_location created_at = std::source_location::current()) : cell_(created_at) {}

  template <class Init>
  Task<void> call_once(Init init) {
    co_await cell_.get_or_init([&init]() -> Task<bool> {
      co_await init();
      co_return true;
    });
  }
  bool done() const noexcept { return cell_.initialized(); }

 private:
  OnceCell<bool> cell_;
};

}  // namespace corosim
