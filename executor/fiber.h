// Fiber: one independently scheduled thread of control — a root coroutine plus
// whatever it awaits inline. spawn() makes a fiber; awaiting a Task does not.
//
// The record is shared by runtime/ (lifecycle: finish, drop, release) and the
// executors (scheduling). Executors own the storage; runtime code refers to a
// fiber only while it is alive or retired-but-not-yet-freed (the end of a step).
#pragma once

#include <cassert>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "corosim/executor/executor.h"
#include "corosim/executor/source_loc.h"
#include "corosim/executor/touch.h"
#include "corosim/executor/unwinding.h"

namespace corosim {

class TaskScope;
class Driver;

enum class FiberState : std::uint8_t {
  ready,    // in the executor's run queue
  running,  // the one fiber executing now
  waiting,  // parked at a suspension point, registered with what will wake it
  done,     // returned, threw, or was dropped
};

// What the fiber's current await is, as its awaiter declares.
enum class AwaitKind : std::uint8_t {
  operation,  // anything that may park (the default)
  call,       // only transfers to a Task of the same fiber (corosim_call): not counted
  yield,      // always parks as ready (yield_now, corosim_yield): no forced suspension first
  // An operation that parks the fiber now: its awaiter declares
  // corosim_parks_unless_ready and its await_ready said no. No forced
  // suspension first either: parked or parked as ready, the fiber runs
  // again only after another does (runtime/detail/await_hook.h).
  parking,
};
// The kinds before which a yield decision is asked, as AwaitGate::decide_before bits.
constexpr std::uint8_t await_kind_bit(AwaitKind kind) noexcept {
  return static_cast<std::uint8_t>(1u << static_cast<unsigned>(kind));
}

// What a waiting fiber is blocked on, for deadlock reports and wait-for graphs.
class WaitTarget {
 public:
  // Appends a short name such as "mutex#2" or "channel#0 (recv)".
  virtual void describe(std::string& out) const = 0;
  // The id of the fiber whose progress would release this target, if there is
  // one (a mutex's holder, a joined fiber): an edge of the wait-for graph.
  virtual std::uint32_t holder_id() const noexcept { return kNoFiber; }
  // Every fiber whose progress could release this target, where there can be
  // several (the readers holding an RWMutex, the writers queued ahead): the
  // edges of the wait-for graph. By default the one holder_id().
  virtual void holder_ids(std::vector<std::uint32_t>& out) const {
    if (const std::uint32_t id = holder_id(); id != kNoFiber) out.push_back(id);
  }
  // Whether only the fibers holder_ids() names can release it (a mutex's
  // holder, a joined fiber), or they are likely ones among others (a token's
  // creators: any copy of it may cancel it). A cycle is a deadlock while other
  // fibers still run only through exclusive holders.
  virtual bool holders_exclusive() const noexcept { return may_be_exclusive_; }
  // False only for a target built with NeverExclusive: the simulator asks
  // holders_exclusive() on every park unless this says it need not.
  bool may_be_exclusive() const noexcept { return may_be_exclusive_; }

 protected:
  // A target whose holders are never exclusive (a channel, a token) says so
  // once at construction instead of overriding holders_exclusive(): a park on
  // it then costs the simulator no call (a round trip over channels parks
  // twice). Overriding the virtual stays the documented way and still works.
  struct NeverExclusive {};
  WaitTarget() noexcept = default;
  explicit WaitTarget(NeverExclusive) noexcept : may_be_exclusive_(false) {}
  ~WaitTarget() = default;

 private:
  bool may_be_exclusive_ = true;
};

// Told when a fiber finishes (a JoinHandle's awaiter, select's wait-any).
class CompletionListener {
 public:
  virtual void on_fiber_done(Fiber& fiber) = 0;

 protected:
  ~CompletionListener() = default;
};

// Where the executor continues a parked fiber: a coroutine handle, or a
// function for the hook's forced suspension (which still has to evaluate the
// operand once resumed).
// Two words, not three: a function's context and a handle are never both
// needed, and every byte of Fiber counts at a million live fibers.
class ResumePoint {
 public:
  ResumePoint() noexcept = default;
  explicit ResumePoint(std::coroutine_handle<> handle) noexcept : target_(handle.address()) {}
  static ResumePoint call(void (*function)(void*), void* context) noexcept {
    ResumePoint point;
    point.function_ = function;
    point.target_ = context;
    return point;
  }

  // The coroutine frame's first byte, or the forced suspension's context.
  const void* target() const noexcept { return target_; }

  void resume() const {
    if (function_ != nullptr) {
      function_(target_);
    } else {
      std::coroutine_handle<>::from_address(target_).resume();
    }
  }

 private:
  void (*function_)(void*) = nullptr;
  void* target_ = nullptr;  // function_'s context, or the handle's address
};

namespace detail {
struct RootPromiseBase;
}

// Who may cancel a fiber (docs/cancellation.md, "Cancellers").
enum class Canceller : std::uint8_t {
  none,      // main, detached fibers, shielded fibers, a combinator's internal arm
  owner,     // its JoinHandle's owner (drop, cancel()) or its TaskScope (cancel, a sibling's error)
  race,      // a select: another arm finishing first
  timeout,   // a timeout: its timer firing first
  external,  // declared: cancellable(op), JoinHandle::externally_cancellable()
  token,     // run_until_cancelled: its CancellationToken cancelled first
};
const char* canceller_name(Canceller canceller) noexcept;

enum class StallState : std::uint8_t {
  none,
  armed,    // at its stalled point: evaluating or waiting on the operand
  holding,  // woken, but not scheduled until its canceller acts or nothing else can run
};

// The fields of a Fiber that only select arms, combinator members, async
// drop, detach and stop requests use. Out of line: a million parked fibers
// should cost what they use (W7 in docs/performance.md), and none of these is
// touched by a plain await.
struct FiberCold {
  // A select arm: every arm of its select, this one included (the select's
  // frame owns the array and outlives the arms).
  Fiber* const* race_arms = nullptr;
  // When a driven fiber last became ready, and for how many steps its driver
  // has left it held since (the snooze checker's measures).
  std::uint64_t ready_since_ns = 0;
  std::uint64_t held_steps = 0;
  // Async drop: cleanup fibers handed to this one by resource guards
  // (runtime/async_drop.h). Its completion — what its joiner, scope and
  // select see — waits until they have finished; meanwhile it is `closing`
  // (state waiting).
  Fiber* cleanup_of = nullptr;  // set on a cleanup fiber: whose completion waits for it
  std::uint32_t cleanups_pending = 0;
  std::uint32_t detached_by = kNoFiber;  // the fiber that detached it
  // Created on first use: most fibers never ask for their token.
  std::stop_source stop_source{std::nostopstate};
  // Asked to stop (its token requested): it must finish by then (virtual
  // time), or the cancel-liveness checker reports it. kNoDeadline: not asked.
  std::uint64_t stop_deadline_ns = kNoDeadline;
  // The exception its root frame ended with: kept here, not in the frame,
  // because a finished fiber's frame is destroyed (its parameters die with
  // it) while its handle may still ask for the result. Rare by design.
  std::exception_ptr error;
};

// Fields in the order a step touches them: the first cache line holds what
// every suspension point and resumption reads or writes; the rest are read by
// checkers, cancellation and structure bookkeeping. Small fields are grouped
// so that no padding falls between them. Every member has an initialiser:
// the fiber table rebuilds a record by default-initialisation.
struct Fiber {
  bool awaiting_call() const noexcept { return await_kind == AwaitKind::call; }
  // An owner canceller can act on it (Canceller::owner): a scope, or a live
  // handle that is not awaiting it.
  bool owner_can_cancel() const noexcept {
    return scope != nullptr || (handle_alive && !detached && listener == nullptr);
  }
  // Its end has checks to run (what it detached must have finished; a stop
  // request it honoured is forgotten): the simulator sees its end even in a
  // run that only counts events.
  bool has_end_checks() const noexcept { return checks_detached() || rare().stop_deadline_ns != kNoDeadline; }
  // What it detached must have finished when it ends (main's leftovers are
  // the leak checker's, at the end of the run).
  bool checks_detached() const noexcept { return detached_some && id != 0; }

  // --- touched at every await and resumption (64 bytes) ---
  Executor* executor = nullptr;
  ResumePoint resume_point;
  SourceLoc suspended_at;         // the last suspension point reached
  const char* waiting_what = "";  // what the operand is ("mutex.lock")
  const WaitTarget* waiting_on = nullptr;
  std::uint32_t id = 0;
  FiberState state = FiberState::ready;
  // Who can cancel it: injected cancellation is only ever this canceller
  // acting (docs/cancellation.md, "Cancellers").
  Canceller canceller = Canceller::none;
  // Stalled by injection: held at its suspension point until its canceller
  // acts, or until no other fiber can run (sim/cancellers.cpp).
  StallState stall = StallState::none;
  AwaitKind await_kind = AwaitKind::operation;

  // Operations awaited since the fiber last really parked (a forced
  // suspension does not count: a real executor would not have switched; nor
  // does awaiting a Task, which is a call): the hogging checker's measure.
  std::uint32_t unparked_awaits = 0;
  // What its steps touch, for strategies that reorder only dependent steps
  // (pos): kTouchUnknown, kTouchNothing, or an object and an access packed
  // by touch_of(). touch: the step it runs now (or next, when resumed);
  // declared_touch: the step that begins at its next suspension point
  // (next_step_touches(), or the awaited primitive).
  std::uint32_t touch = kTouchUnknown;
  std::uint32_t declared_touch = kTouchUnknown;
  // Inside shielded(op): no cancellation is injected here, and fibers spawned
  // from here are not boundaries (and are shielded themselves).
  std::uint16_t shield_depth = 0;
  bool queued = false;   // in the executor's run queue (guards against a double enqueue)
  bool started = false;  // the executor has resumed it at least once
  // Pre-cancelled start: its token was stopped before it first ran; its first
  // suspension point completes with Cancelled.
  bool pre_cancelled = false;
  bool handle_alive = true;     // a JoinHandle (or the executor, for main) refers to it
  bool detached = false;        // runs on without a handle
  bool dropped = false;         // finished by being dropped, not by returning
  bool exception_seen = false;  // its exception was rethrown to someone
  // An arm racing a stalled arm: a timer it sleeps on fires at once (the
  // race's other arm may win first; an early expiry is a legal execution).
  bool hurry = false;
  // Woken by an interrupt while still registered with what it awaited: a
  // later wake-up from that primitive is ignored (the awaiter's destructor
  // gives back whatever the primitive granted it).
  bool interrupted = false;
  // A member of a poll-driven combinator (driver, below) that is ready but
  // waiting for its owner to poll it.
  bool held = false;
  // Async drop (FiberCold::cleanups_pending): its own frame finished or
  // destroyed, its completion waits for its cleanups.
  bool closing = false;
  // Destructor context, for the detached-cleanup and unjoined-scope checkers:
  // the fiber's chain is being destroyed (dropped), or a Task of it has
  // returned and its locals are being destroyed (returning_frames).
  bool dropping = false;
  // Detached fibers must not outlive the fiber that detached them, unless
  // allowed (Outlive::allowed); checked when that fiber ends.
  bool may_outlive = false;
  bool detached_some = false;  // this fiber detached another (worth a check at its end)
  // Its root Task returned (final suspend) in the resume under way: the
  // executor that resumed it finishes it when the resume comes back
  // (detail::finish_returned_root).
  bool root_returned = false;
  std::uint8_t race_size = 0;  // the arms in FiberCold::race_arms
  std::uint16_t returning_frames = 0;

  // --- read or written at every await and wake-up too: with the fields
  // above, within the record's first 128 bytes (two lines, three at most as
  // the frame pool aligns a record), so that a step in a crowd too large for the
  // caches misses on as few lines as it can ---
  CompletionListener* listener = nullptr;
  TaskScope* scope = nullptr;  // set for TaskScope children
  // A member of a poll-driven combinator: it runs only while the combinator's
  // owner awaits it (runtime/driver.h).
  Driver* driver = nullptr;
  // The last fiber this one spawned since it last parked: what a resource
  // destroyed open reports as its destructor's detached cleanup.
  std::uint32_t last_spawned_id = kNoFiber;
  // Not per await: beside last_spawned_id so that no padding falls between.
  std::uint32_t owner_id = kNoFiber;  // the fiber that spawned it (its handle's first owner)

  // --- touched at spawn, end and by checkers ---
  // What a fiber's end reads comes first, through scope_next: in a crowd too
  // large for the caches, the prefetch of a pick fetches the record's first
  // kFiberEndBytes (Simulator::prefetch_next_picks), and an end that missed on
  // these waited for each line.
  // The fiber's root frame: the spawned Task's own frame (spawn of a
  // Task<void>, destroyed as it finishes), or a RootTask wrapping a callable
  // or a Task with a value (kept until the handle goes, for the value).
  std::coroutine_handle<> root;

 private:
  std::unique_ptr<FiberCold> cold_;  // see cold(), below; an end asks whether it is set

 public:
  // Executor's intrusive list of alive fibers, in id order.
  Fiber* alive_prev = nullptr;
  Fiber* alive_next = nullptr;

  Fiber* scope_prev = nullptr;
  Fiber* scope_next = nullptr;
  detail::RootPromiseBase* root_promise = nullptr;  // set with a RootTask root only

  SourceLoc canceller_at;  // the spawn, select or timeout that made the canceller
  SourceLoc last_spawned_at;

  SourceLoc spawned_at;

  // What few fibers use (FiberCold), allocated on first write. Read through
  // rare(), which gives the defaults when nothing was written.
  FiberCold& cold() {
    if (cold_ == nullptr) cold_ = std::make_unique<FiberCold>();
    return *cold_;
  }
  const FiberCold& rare() const noexcept { return cold_ != nullptr ? *cold_ : kNoColdFields; }
  // Null when nothing was written: several rare fields read behind one test.
  FiberCold* cold_if_any() const noexcept { return cold_.get(); }

 private:
  inline static const FiberCold kNoColdFields{};
};

// How far into a record its hot fields reach, for whoever fetches records
// ahead of their use (the simulator's picks, a crowd's wake-up);
// tests/executor/fiber_layout_test.cpp holds the fields there. What an await,
// a wake-up and a resumption touch lies in the first kFiberStepBytes; what a
// fiber's end reads too (its root, cold_, its alive and scope links) in the
// first kFiberEndBytes. kFiberLinksAt is a byte amid those links, which an
// end writes in its neighbours' records.
inline constexpr int kFiberStepBytes = 128;
inline constexpr int kFiberEndBytes = 168;
inline constexpr int kFiberLinksAt = 152;

namespace detail {

// Queues a ready fiber with its executor, or with its driver if that is not
// being polled (every way a fiber becomes ready goes through here). Inline:
// every yield and wake-up passes here, and most fibers have no driver.
void fiber_schedule_driven(Fiber& fiber);
inline void fiber_schedule(Fiber& fiber) {
  if (fiber.driver != nullptr) [[unlikely]] {
    fiber_schedule_driven(fiber);
    return;
  }
  detail::RunQueue* queue = fiber.executor->plain_queue();
  if (queue != nullptr && fiber.stall == StallState::none) [[likely]] {
    queue->push(fiber);
    return;
  }
  fiber.executor->enqueue(fiber);
}
// fiber_wake's traced path, out of line (it names the waker).
void trace_wake(Fiber& fiber);
// Makes a waiting fiber ready (a primitive's wake-up), traced as woken by the
// running fiber (none for a timer). Inline: a channel's send and a join's
// completion wake a fiber each, and as a call its register saves cost as much
// as its body.
inline void fiber_wake(Fiber& fiber) {
  // Already made ready by its interrupt: the primitive's late wake-up is ignored.
  if (fiber.interrupted && fiber.state != FiberState::waiting) [[unlikely]]
    return;
  assert(fiber.state == FiberState::waiting && "woke a fiber that was not waiting");
  fiber.state = FiberState::ready;
  fiber.waiting_on = nullptr;
  if (!fiber.executor->count_if_untraced(TraceKind::wake)) [[unlikely]]
    trace_wake(fiber);
  fiber_schedule(fiber);
}
// Called by the root frame's final awaiter: the fiber returned or threw.
void fiber_finish(Fiber& fiber);
// A root Task returned (Fiber::root_returned): destroys its frame, whose
// parameters die as the fiber, still running, then finishes the fiber.
// Called by the executor right after the resume that returned; its final
// awaiter cannot destroy the frame it runs in.
void finish_returned_root(Fiber& fiber);
// Destroys the fiber's suspended chain: destructors run, awaiters unregister,
// no code after its current co_await runs. Deferred to the end of the step if
// the fiber is running.
void fiber_drop(Fiber& fiber);
// The fiber's handle is gone. Drops it unless detached; frees it when done.
void fiber_release(Fiber& fiber);
// The fiber's exception, if it threw (null otherwise).
std::exception_ptr fiber_exception(const Fiber& fiber) noexcept;
// "what(): ..." of an exception, for reports.
std::string describe_exception(const std::exception_ptr& error);
// Marks the current fiber as waiting on target (for deadlock reports).
inline void set_waiting_on(const WaitTarget* target) noexcept {
  if (Fiber* fiber = current_fiber()) fiber->waiting_on = target;
}
// True while a destructor runs on the current fiber: its chain is being
// dropped, a Task of it is destroying its locals on return, or an exception is
// unwinding.
inline bool in_destructor(const Fiber& fiber) noexcept {
  return fiber.dropping || fiber.returning_frames > 0 || unwinding_exceptions() > 0;
}
// The fiber's stop token (its stop source is created on first use).
std::stop_token fiber_stop_token(Fiber& fiber);
// Requests the fiber's stop: stop callbacks registered on its token run now,
// and the executor watches that it finishes within `within_ns` of virtual
// time (0: the executor's default). `where` is the request.
void fiber_request_stop(Fiber& fiber, const SourceLoc& where, std::uint64_t within_ns = 0);
// True if error holds a corosim::Cancelled: cancellation, not a failure.
bool is_cancelled(const std::exception_ptr& error) noexcept;
// A finished fiber ended by cancellation: dropped, or unwound by Cancelled.
bool fiber_was_cancelled(const Fiber& fiber) noexcept;

}  // namespace detail
}  // namespace corosim
