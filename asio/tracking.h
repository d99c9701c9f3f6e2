// asio's custom handler-tracking hooks, pointed at corosim: every asio
// operation a simulated context starts (a timer wait, a channel send or
// receive, a stream read) is recorded with its object, its name and — when
// the completion token carries one — the source line that awaited it, and is
// forgotten when it completes or is destroyed. A deadlock or leak report then
// lists what each suspended coroutine waits on (docs/asio.md).
//
// Wired in by the corosim::asio target, which defines
// ASIO_CUSTOM_HANDLER_TRACKING="corosim/asio/tracking.h" for every unit that
// links it: asio includes this header before its own declarations, so it must
// not include asio. Every unit of one binary must agree on the definition
// (asio's operations then carry the Tracked base); corosim/asio/net.h defines
// it too for a unit that includes it first.
//
// Outside a simulated run (no corosim::asio::Context on the thread) every hook
// is a no-op, so production code linked with corosim behaves as asio's own.
#pragma once

#include <cstdint>
#include <type_traits>

namespace corosim::asio::tracking {

// Base of every asio operation: its number in the current context's record
// (0: not recorded).
struct Tracked {
  std::uint64_t corosim_operation = 0;
};

// never_due: a timer wait whose expiry is its clock's time_point::max() (the
// "wait until cancelled" idiom), which no passing of time completes.
void created(Tracked& operation, const void* context, const char* object_type, const char* name,
             bool never_due = false) noexcept;
// True if the operation was a timer wait.
bool completed(const Tracked& operation) noexcept;
// A timer wait's completion is being delivered (fired: not cancelled); its
// handler is the next one the context starts, and waits out the run's timer
// jitter first, as the simulator's own timers do.
void timer_completing(bool fired) noexcept;
void timer_completed() noexcept;

// While an initiating function runs: where it was called from, innermost last.
// use_awaitable_t<>() and as_default_on types carry the awaiting line; the
// asio::use_awaitable constant carries none (asio 1.22 builds it without one).
class Location {
 public:
  Location(const char* file, int line, const char* function) noexcept;
  ~Location();
  Location(const Location&) = delete;
  Location& operator=(const Location&) = delete;
};

// asio's timer service passes its implementation record, whose expiry is the
// timer's time_point; other objects have none.
template <class Object>
bool never_due(const Object& object) noexcept {
  if constexpr (std::is_pointer_v<Object>) {
    if constexpr (requires { object->expiry == std::remove_cvref_t<decltype(object->expiry)>::max(); }) {
      return object->expiry == std::remove_cvref_t<decltype(object->expiry)>::max();
    }
  }
  return false;
}

template <class ExecutionContext, class Operation, class Object, class Native>
void creation(ExecutionContext& context, Operation& operation, const char* object_type, const Object& object,
              const Native&, const char* name) noexcept {
  created(operation, static_cast<const void*>(&context), object_type, name, never_due(object));
}

class Completion {
 public:
  explicit Completion(const Tracked& operation) noexcept : timer_(completed(operation)) {}
  // asio passes the completion's arguments; a timer's first is its error.
  template <class... Args>
  void invocation_begin(const Args&... args) noexcept {
    if (timer_) timer_completing(fired(args...));
  }
  void invocation_end() noexcept {
    if (timer_) timer_completed();
  }

 private:
  static bool fired() noexcept { return true; }
  template <class Error, class... Rest>
  static bool fired(const Error& error, const Rest&...) noexcept {
    if constexpr (std::is_constructible_v<bool, const Error&>) {
      return !static_cast<bool>(error);
    } else {
      return true;
    }
  }

  bool timer_;
};

}  // namespace corosim::asio::tracking

// The hooks asio's detail/handler_tracking.hpp requires of a custom tracker.
#define ASIO_INHERIT_TRACKED_HANDLER : public ::corosim::asio::tracking::Tracked
#define ASIO_ALSO_INHERIT_TRACKED_HANDLER , public ::corosim::asio::tracking::Tracked
#define ASIO_HANDLER_TRACKING_INIT (void)0
#define ASIO_HANDLER_LOCATION(args) ::corosim::asio::tracking::Location corosim_tracked_location args
#define ASIO_HANDLER_CREATION(args) ::corosim::asio::tracking::creation args
#define ASIO_HANDLER_COMPLETION(args) ::corosim::asio::tracking::Completion tracked_completion args
#define ASIO_HANDLER_INVOCATION_BEGIN(args) tracked_completion.invocation_begin args
#define ASIO_HANDLER_INVOCATION_END tracked_completion.invocation_end()
#define ASIO_HANDLER_OPERATION(args) (void)0
#define ASIO_HANDLER_REACTOR_REGISTRATION(args) (void)0
#define ASIO_HANDLER_REACTOR_DEREGISTRATION(args) (void)0
#define ASIO_HANDLER_REACTOR_READ_EVENT 1
#define ASIO_HANDLER_REACTOR_WRITE_EVENT 2
#define ASIO_HANDLER_REACTOR_ERROR_EVENT 4
#define ASIO_HANDLER_REACTOR_EVENTS(args) (void)0
#define ASIO_HANDLER_REACTOR_OPERATION(args) (void)0
