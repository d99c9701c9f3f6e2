// Executor: the one interface runtime/ knows. The simulator (sim/) and the
// real-time event loop (runtime/event_loop.h) implement it; user code written on
// runtime/ runs unchanged on either.
//
// Contract: single-threaded. Exactly one fiber runs at a time, and only the
// executor resumes fibers: primitives never resume a waiter inline, they call
// detail::fiber_wake() and the executor resumes the fiber on a later step, from
// its own call stack. That is what makes every wake-up a scheduling decision.
#pragma once

#include <cstdint>
#include <string>

#include "corosim/executor/checker.h"
#include "corosim/executor/run_queue.h"
#include "corosim/executor/source_loc.h"
#include "corosim/executor/trace_kind.h"

namespace corosim {

struct Fiber;
class Driver;
class Ledger;
namespace detail {
class FiberTable;
}

// What the await hook does at a suspension point, asked before the operand's
// own await_ready. The cancel_* actions are injected cancellation
// (docs/cancellation.md): the executor decides them, never the code under test.
enum class AwaitAction : std::uint8_t {
  proceed,           // evaluate the operand normally
  suspend_first,     // park first (other fibers may run), then evaluate the operand
  cancel_drop,       // evaluate the operand, then destroy the fiber's chain while it is parked
  cancel_stop,       // request the fiber's stop token; the operand completes with Cancelled
  cancel_prompt,     // let the operand complete, then destroy the chain before it resumes
  cancel_interrupt,  // evaluate the operand; resume the awaiter with Cancelled while it runs on
};

// A pending sleep. Lives in the sleeping fiber's frame; the executor holds a
// pointer only while it is armed, and cancel_timer() must be called before the
// node dies if it has not fired.
struct TimerNode {
  Fiber* fiber = nullptr;
  std::uint64_t deadline_ns = 0;
  std::uint32_t slot = 0;  // executor's bookkeeping
  bool armed = false;
};

inline constexpr std::uint64_t kNoDeadline = ~std::uint64_t{0};

// Work that reaches fibers from outside them — asio's reactor, whose timers
// complete into handlers (asio/context.h). When no fiber is ready the
// simulator polls every source at the current virtual time before it lets
// time pass, and lets time pass no further than a source's next deadline.
class ExternalSource {
 public:
  // Runs what is due now; true if that made a fiber ready (or created one).
  virtual bool poll() = 0;
  // The earliest time at which polling could do something (kNoDeadline:
  // nothing is pending, only fibers can make progress).
  virtual std::uint64_t next_deadline_ns() = 0;
  // For a deadlock report: what the source still waits on, one "\n  ..."
  // line each (asio's pending operations), or nothing.
  virtual std::string describe_pending() const { return {}; }

  ExternalSource* source_prev = nullptr;
  ExternalSource* source_next = nullptr;
  bool registered = false;

 protected:
  ~ExternalSource() = default;
};

// What a simulating executor observes and injects beyond scheduling: the
// trace, conservation ledgers, poll-driven combinators (for the snooze
// checker), fault injection and interrupts, real-time use. A production
// executor has none (it never calls set_instrumentation) and every call
// below is then a no-op made by Executor's forwarding methods.
class Instrumentation {
 public:
  // Makes the parked f ready at the end of the current step, interrupted: its
  // resume point throws Cancelled (the interrupt mode of cancellation).
  virtual void defer_interrupt(Fiber& f) = 0;
  // Whether the corosim::buggify() call at `where` fires (a recorded decision).
  virtual bool buggify(const SourceLoc& where) = 0;
  virtual void trace(TraceKind kind, const Fiber* fiber, std::uint32_t arg, std::uint64_t value,
                     const SourceLoc* where) = 0;
  // Conservation ledgers of live primitives (executor/ledger.h).
  virtual void register_ledger(Ledger& ledger) = 0;
  virtual void unregister_ledger(Ledger& ledger) = 0;
  // Poll-driven combinators (runtime/driver.h), for the snooze checker.
  virtual void register_driver(Driver& driver) = 0;
  virtual void unregister_driver(Driver& driver) = 0;
  // The code running on this executor read the real clock or slept the thread
  // (`call` names the C function; runtime/real_time.h). Async-signal-safe:
  // a signal handler may make the call, so nothing here allocates.
  virtual void real_time_used(const char* call) noexcept = 0;
  // f was asked to stop at `where` (its token requested): it should finish
  // within `within_ns` of virtual time (0: the run's default bound).
  virtual void stop_requested(Fiber& f, const SourceLoc& where, std::uint64_t within_ns) = 0;
  // External sources (a simulated asio context) for the run's idle moments.
  virtual void register_source(ExternalSource& source) = 0;
  virtual void unregister_source(ExternalSource& source) = 0;
  // The run's timer jitter (SimOptions::timer_jitter_ns), which an external
  // source's timers (asio's) get too: they wait on a timer of the executor.
  virtual std::uint64_t timer_jitter_ns() const noexcept = 0;
  // A moment where a declared canceller outside the run's fibers (an asio
  // ExternalCanceller) could act: an external cancellation point, numbered
  // with the others; true if the run's cancellation plan acts here.
  virtual bool external_point(const SourceLoc& where, const char* what) = 0;
  // How long something asked to stop may take to finish (SimOptions::stop_max_ns; 0: unbounded).
  virtual std::uint64_t stop_max_ns() const noexcept = 0;

 protected:
  ~Instrumentation() = default;
};

// Scheduling: what every executor provides.
class Executor {
 public:
  virtual ~Executor() = default;

  // --- fibers -------------------------------------------------------------
  // The executor's fiber records. A spawn creates one and a fiber's end
  // retires it through here (detail::create_fiber and detail::retire_fiber in
  // executor/fiber_table.h), with no virtual call: every executor keeps its
  // records in a FiberTable and does nothing else at those two moments.
  detail::FiberTable& fiber_table() const noexcept { return *fiber_table_; }
  // Queues f to run (first start, wake-up or yield). f.state must be ready.
  virtual void enqueue(Fiber& f) = 0;
  // The queue that enqueue() pushes a fiber on when the fiber is not stalled
  // and that is all it does, or null: fiber_schedule then pushes inline,
  // with no virtual call (every yield and wake-up passes there).
  detail::RunQueue* plain_queue() const noexcept { return plain_queue_; }
  // Removes a ready f from the run queue (it is being dropped).
  virtual void dequeue(Fiber& f) = 0;
  // Drops f at the end of the current step (f is running and cannot destroy
  // its own frame).
  virtual void defer_drop(Fiber& f) = 0;

  // --- the await hook -----------------------------------------------------
  // What an await needs to be answered inline, with no virtual call
  // (detail::before_await in executor/await_gate.h): most awaits only count
  // and proceed. The executor sets it; it holds at least for a whole run.
  struct AwaitGate {
    // False: every await asks before_await. The simulator closes it while a
    // strategy tracks touches or a cancellation plan or site record makes
    // each point more than a count.
    bool open = false;
    // Whether an await with another fiber ready asks yield_decision.
    bool yield_decisions = false;
    // Before which kinds of await (await_kind_bit) it asks: operations and
    // calls; yield_now and parking operands too for old repro files
    // (SimOptions::decide_before_yield_now, decide_before_parking).
    std::uint8_t decide_before = 0;
    std::uint32_t hog_limit = ~std::uint32_t{0};  // unparked awaits beyond which before_await reports
    // Cancellation points passed (the executor's count, inline or not).
    std::uint64_t cancel_points = 0;
  };
  AwaitGate& await_gate() noexcept { return await_gate_; }
  const AwaitGate& await_gate() const noexcept { return await_gate_; }
  // The whole answer at a suspension point, for what the gate cannot settle.
  virtual AwaitAction before_await(Fiber& f, const SourceLoc& where) = 0;
  // Only the scheduling choice, after the gate settled the rest: park as
  // ready first (suspend_first), or proceed.
  virtual AwaitAction yield_decision(Fiber& f) = 0;

  // --- time ---------------------------------------------------------------
  virtual std::uint64_t now_ns() = 0;
  virtual void arm_timer(TimerNode& node) = 0;
  virtual void cancel_timer(TimerNode& node) = 0;

  // --- randomness, objects, failures --------------------------------------
  // A value in [0, bound): a recorded decision under the simulator.
  virtual std::uint64_t random_below(std::uint64_t bound) = 0;
  // Dense id for a primitive (mutex, channel, ...), in creation order.
  virtual std::uint32_t new_object_id() = 0;
  // A checker failed (executor/checker.h). The first
  // failure of a run is kept; the run stops at the end of the current step.
  virtual void report_failure(Checker checker, std::string message, const SourceLoc& where) = 0;

  // --- instrumentation (absent on a production executor) ------------------
  // Forwarding to the instrumentation, no-ops without one; the names are
  // Instrumentation's, so primitives read `executor->trace(...)`.
  void defer_interrupt(Fiber& f) {
    if (instrumentation_ != nullptr) instrumentation_->defer_interrupt(f);
  }
  // Never fires on a production executor.
  bool buggify(const SourceLoc& where) {
    return instrumentation_ != nullptr && instrumentation_->buggify(where);
  }
  void trace(TraceKind kind, const Fiber* fiber, std::uint32_t arg, std::uint64_t value,
             const SourceLoc* where = nullptr) {
    if (counts_only(kind)) [[likely]] {
      ++counted_events_;
      return;
    }
    if (instrumentation_ != nullptr) instrumentation_->trace(kind, fiber, arg, value, where);
  }
  // Counts the event when its kind is only counted (and says so): a caller
  // whose trace arguments cost something computes them only when not.
  bool count_if_untraced(TraceKind kind) noexcept {
    if (!counts_only(kind)) return false;
    ++counted_events_;
    return true;
  }
  // trace() for an event that the instrumentation has work at only when
  // `needed` (a fiber's return: Fiber::has_end_checks); otherwise counted
  // inline when its kind is, with no virtual call.
  void trace_if(bool needed, TraceKind kind, const Fiber* fiber, std::uint32_t arg, std::uint64_t value) {
    if (!needed && counts_only(kind)) [[likely]] {
      ++counted_events_;
      return;
    }
    if (instrumentation_ != nullptr) instrumentation_->trace(kind, fiber, arg, value, nullptr);
  }
  void register_ledger(Ledger& ledger) {
    if (instrumentation_ != nullptr) instrumentation_->register_ledger(ledger);
  }
  void unregister_ledger(Ledger& ledger) {
    if (instrumentation_ != nullptr) instrumentation_->unregister_ledger(ledger);
  }
  void register_driver(Driver& driver) {
    if (instrumentation_ != nullptr) instrumentation_->register_driver(driver);
  }
  void unregister_driver(Driver& driver) {
    if (instrumentation_ != nullptr) instrumentation_->unregister_driver(driver);
  }
  void real_time_used(const char* call) noexcept {
    if (instrumentation_ != nullptr) instrumentation_->real_time_used(call);
  }
  void stop_requested(Fiber& f, const SourceLoc& where, std::uint64_t within_ns) {
    if (instrumentation_ != nullptr) instrumentation_->stop_requested(f, where, within_ns);
  }
  // Whether this executor polls external sources (only the simulator does).
  bool polls_sources() const noexcept { return instrumentation_ != nullptr; }
  void register_source(ExternalSource& source) {
    if (instrumentation_ != nullptr) instrumentation_->register_source(source);
  }
  void unregister_source(ExternalSource& source) {
    if (instrumentation_ != nullptr) instrumentation_->unregister_source(source);
  }
  std::uint64_t timer_jitter_ns() const noexcept {
    return instrumentation_ != nullptr ? instrumentation_->timer_jitter_ns() : 0;
  }
  std::uint64_t stop_max_ns() const noexcept {
    return instrumentation_ != nullptr ? instrumentation_->stop_max_ns() : 0;
  }
  // Never acts on a production executor.
  bool external_point(const SourceLoc& where, const char* what) {
    return instrumentation_ != nullptr && instrumentation_->external_point(where, what);
  }

 protected:
  // An instrumented executor (the simulator) names itself once constructed.
  void set_instrumentation(Instrumentation* instrumentation) noexcept { instrumentation_ = instrumentation; }

  // A run that records no trace only counts most of its events (so that
  // event numbers agree with the run traced): the kinds whose bit is set
  // here are counted inline, with no call into the instrumentation.
  bool counts_only(TraceKind kind) const noexcept {
    return (counted_kinds_ >> static_cast<unsigned>(kind)) & 1u;
  }
  static constexpr std::uint32_t kind_bit(TraceKind kind) noexcept {
    return 1u << static_cast<unsigned>(kind);
  }
  std::uint32_t counted_kinds_ = 0;
  std::uint64_t counted_events_ = 0;
  detail::RunQueue* plain_queue_ = nullptr;
  detail::FiberTable* fiber_table_ = nullptr;  // set by the executor, which owns the table
  AwaitGate await_gate_;

 private:
  Instrumentation* instrumentation_ = nullptr;
};

namespace detail {
// Read at every suspension point and set twice a step: inline, not a call
// (so is the executor, which every primitive's trace and wake reads).
inline thread_local Fiber* tls_current_fiber = nullptr;
inline thread_local Executor* tls_executor = nullptr;
}  // namespace detail

// The executor and fiber running on this thread (null outside a run).
inline Executor* current_executor() noexcept { return detail::tls_executor; }
inline Fiber* current_fiber() noexcept { return detail::tls_current_fiber; }

namespace detail {
// Set by executors only.
void set_current(Executor* executor, Fiber* fiber) noexcept;
inline void set_current_fiber(Fiber* fiber) noexcept { tls_current_fiber = fiber; }
// Coroutine frames alive on this thread (Task and fiber roots), for the leak
// checker; counted at every frame's allocation, so inline too.
inline thread_local std::int64_t tls_frames_live = 0;
inline std::int64_t& frames_live() noexcept { return tls_frames_live; }
// Their bytes (what they hold: the compiler's request rounded to the frame
// cache's size class), so a benchmark can tell the frames' memory from the
// executor's own per-fiber memory.
inline thread_local std::int64_t tls_frame_bytes_live = 0;
inline std::int64_t& frame_bytes_live() noexcept { return tls_frame_bytes_live; }
}  // namespace detail

}  // namespace corosim
