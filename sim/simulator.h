// Simulator: the deterministic executor. Single-threaded; every choice a run
// makes (which ready fiber runs, whether to park before an operand, which of
// equal timers fires first, corosim::random values) is a decision asked of the
// strategy and recorded, so seed + strategy, or the decision stream alone,
// reproduce the run exactly.
//
// Time is virtual, in nanoseconds from 0; when no fiber is ready it jumps to
// the next timer. A run ends when main returns, a checker fails, or nothing
// can run. Checkers: deadlock, escaped-exception, leak, check (CORO_CHECK),
// dangling-wait, stray-suspend, ledger (after every drop and at the end),
// cancel-safety (check_cancel_safety), budget (steps or virtual time),
// snooze and futurelock (members of poll-driven combinators that their owner
// leaves unpolled), hogging (a resumption that never gives the executor back),
// detached-fiber, detached-cleanup, unjoined-scope, async-drop and
// use-after-close (structured concurrency and async drop).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "corosim/executor/fiber_table.h"
#include "corosim/executor/registry.h"
#include "corosim/executor/run_queue.h"
#include "corosim/executor/timer_heap.h"
#include "corosim/runtime/driver.h"
#include "corosim/executor/executor.h"
#include "corosim/executor/ledger.h"
#include "corosim/runtime/task.h"
#include "absl/container/flat_hash_map.h"
#include "corosim/sim/cancel.h"
#include "corosim/sim/decision.h"
#include "corosim/executor/assert.h"
#include "corosim/sim/strategy/fifo.h"
#include "corosim/sim/strategy/random.h"
#include "corosim/sim/strategy/strategy.h"
#include "corosim/sim/trace.h"
#include "corosim/sim/wait_graph.h"

namespace corosim {

struct SimOptions {
  std::uint64_t steps_max = 1'000'000;                       // scheduler steps per run
  std::uint64_t time_max_ns = 24ULL * 3600 * 1'000'000'000;  // virtual time per run
  CancelPlan cancel;                                         // injected cancellation
  bool record_cancel_sites = false;                          // fill RunResult::cancel_sites
  bool record_cancel_kinds = false;                          // fill RunResult::external_points
  // Record the trace (its events and hash). Off, the run records only its
  // decisions, which is all a replay needs: an explorer runs most runs so and
  // re-runs a failing one from its decisions with the trace on (the lazy
  // trace, harness/retrace.h). Events are still counted (Failure::event and
  // RunResult::events are the same either way); RunResult::trace_hash is 0.
  bool record_trace = true;
  // RunResult::decisions of a run that passes (a failing run's are always
  // there). An explorer turns it off for the runs it will not replay: the
  // copy out of the simulator's log costs a few instructions per decision.
  bool decisions_of_passing_runs = true;
  // Snooze: a member of a poll-driven combinator left ready and unpolled for
  // longer than this much virtual time (a Driver may set its own bound), or
  // for this many steps during which its owner was blocked elsewhere. Zero
  // turns a bound off. Time only advances when no fiber is ready and steps
  // count only while the owner waits, so scheduling unfairness alone never
  // trips either: only the program's structure does.
  std::uint64_t snooze_max_ns = 1'000'000'000;
  std::uint64_t snooze_max_steps = 100'000;
  // Hogging: operations one resumption awaits without really parking (every
  // one was already complete; awaiting a Task is a call and does not count).
  // Zero: off.
  std::uint32_t hog_max_awaits = 10'000;
  // Randomised timer delays: every sleep fires up to this much later (in
  // tenths, a timer-delay decision each), so code that races two timers meets
  // both orders. Zero: timers fire on time.
  std::uint64_t timer_jitter_ns = 0;
  // Cancellation liveness: a fiber asked to stop (JoinHandle::request_stop,
  // an injected stop) must finish within this much virtual time, unless the
  // request names its own bound. Zero: off.
  std::uint64_t stop_max_ns = 10'000'000'000;
  // A yield decision before yield_now too, as repro versions 1 and 2 were
  // recorded (replaying one sets it): the forced suspension adds nothing
  // there, so since version 3 none is asked.
  bool decide_before_yield_now = false;
  // A yield decision before an operation that parks anyway (its awaiter
  // declares corosim_parks_unless_ready and is not ready), as repro versions
  // 1 to 3 were recorded (replaying one sets it): parked or parked as ready
  // first, the fiber runs again only after another does, so since version 4
  // none is asked.
  bool decide_before_parking = false;
};

struct Failure {
  Checker checker = Checker::check;  // docs/architecture.md, "Checkers"
  std::string message;
  SourceLoc location;
  std::uint64_t step = 0;
  std::uint64_t time_ns = 0;
  std::uint64_t event = 0;  // index of its check_failed event in the trace
};

struct RunResult {
  std::optional<Failure> failure;
  std::uint64_t seed = 0;
  std::uint64_t steps = 0;
  std::uint64_t time_ns = 0;
  std::uint64_t trace_hash = 0;  // 0 for a run made with SimOptions::record_trace off
  std::uint64_t events = 0;      // trace events, recorded or not
  std::uint32_t fibers = 0;      // spawned, main included
  DecisionStream decisions;
  std::uint64_t cancel_points = 0;  // cancellation points the run reached
  std::uint64_t cancel_starts = 0;  // externally cancellable fibers that started (prestart targets)
  // Per point, whether its canceller is external (injected in every mode) or
  // the program's own (stalled for its mechanism), if
  // SimOptions::record_cancel_kinds: a sweep's plan.
  std::vector<bool> external_points;
  // Where each cancellation point stood, in order (the first kSitesMax), if
  // SimOptions::record_cancel_sites.
  std::vector<SourceLoc> cancel_sites;
  std::vector<CancelInjection> injections;  // what was injected, in order
  CancelPlan cancel_plan;                   // the plan the run followed (to run it again)
  // Set by the explorer on a failing run: the strategy that made it (a
  // portfolio's member), and the --strategy value that makes it again from
  // its seed ("pct:3:412"), empty when none does (replay its decisions).
  std::string made_by;
  std::string rerun_strategy;

  bool passed() const noexcept { return !failure.has_value(); }
  // An injection whose cancellation happened (a stall its canceller acted on).
  bool cancelled() const noexcept {
    for (const CancelInjection& injection : injections) {
      if (injection.landed) return true;
    }
    return false;
  }
};

using MainFactory = std::function<Task<void>()>;

class Simulator final : public Executor {
 public:
  // Cancellation point locations kept per run (a limit on memory).
  static constexpr std::size_t kSitesMax = 100'000;

  explicit Simulator(Strategy& strategy, SimOptions options = {});
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;
  ~Simulator() override;

  // One run of main under the strategy, seeded with seed.
  RunResult run(const MainFactory& main, std::uint64_t seed);

  // The trace of the last run.
  const Trace& trace() const noexcept { return trace_; }
  // The decisions of the run in flight so far (a crash report writes them).
  const DecisionLog& decisions_so_far() const noexcept { return decisions_; }
  // Replaces the options (the cancel plan changes from run to run in a sweep).
  void set_options(const SimOptions& options) {
    options_ = options;
    derive_from_options();
  }
  const SimOptions& options() const noexcept { return options_; }

  // Executor
  void enqueue(Fiber& fiber) override;
  void dequeue(Fiber& fiber) override;
  void defer_drop(Fiber& fiber) override;
  AwaitAction before_await(Fiber& fiber, const SourceLoc& where) override;
  AwaitAction yield_decision(Fiber& fiber) override;
  std::uint64_t now_ns() override { return now_ns_; }
  void arm_timer(TimerNode& node) override;
  void cancel_timer(TimerNode& node) override;
  std::uint64_t random_below(std::uint64_t bound) override;
  std::uint32_t new_object_id() override { return next_object_id_++; }
  void report_failure(Checker checker, std::string message, const SourceLoc& where) override;

  // What the Instrumentation interface reaches (through hooks_, below).
  void defer_interrupt(Fiber& fiber);
  bool buggify(const SourceLoc& where);
  void trace(TraceKind kind, const Fiber* fiber, std::uint32_t arg, std::uint64_t value,
             const SourceLoc* where = nullptr) {
    // In a run without its trace, most events are only counted; the kinds
    // with work besides the recording go the long way (counted_kinds()).
    if (counts_only(kind)) [[likely]] {
      ++counted_events_;
      return;
    }
    trace_event(kind, fiber, arg, value, where);
  }
  void real_time_used(const char* call) noexcept;
  void register_ledger(Ledger& ledger);
  void unregister_ledger(Ledger& ledger);
  void register_driver(Driver& driver);
  void unregister_driver(Driver& driver);

 private:
  // The simulator's Instrumentation: a member rather than a second base, so
  // a primitive's executor->trace() is one virtual call that lands here with
  // no this-adjusting thunk, and the forwarding inlines.
  class Hooks final : public Instrumentation {
   public:
    explicit Hooks(Simulator& simulator) noexcept : simulator_(simulator) {}
    void defer_interrupt(Fiber& fiber) override;
    bool buggify(const SourceLoc& where) override;
    void trace(TraceKind kind, const Fiber* fiber, std::uint32_t arg, std::uint64_t value,
               const SourceLoc* where) override;
    void register_ledger(Ledger& ledger) override;
    void unregister_ledger(Ledger& ledger) override;
    void register_driver(Driver& driver) override;
    void unregister_driver(Driver& driver) override;
    void real_time_used(const char* call) noexcept override;
    void stop_requested(Fiber& fiber, const SourceLoc& where, std::uint64_t within_ns) override;
    void register_source(ExternalSource& source) override;
    void unregister_source(ExternalSource& source) override;
    std::uint64_t timer_jitter_ns() const noexcept override { return simulator_.options_.timer_jitter_ns; }
    bool external_point(const SourceLoc& where, const char* what) override;
    std::uint64_t stop_max_ns() const noexcept override { return simulator_.options_.stop_max_ns; }

   private:
    Simulator& simulator_;
  };

  void audit_ledgers();
  void forget_ledgers();
  // The strategies whose choose() is inlined here (no virtual call per decision).
  enum class InlineStrategy : std::uint8_t { none, random, fifo };
  std::uint64_t decide(DecisionKind kind, std::uint64_t n) {
    switch (inline_strategy_) {
      case InlineStrategy::random:
        return record(kind, n, static_cast<RandomStrategy&>(strategy_).choose(kind, n));
      case InlineStrategy::fifo:
        return record(kind, n, static_cast<FifoStrategy&>(strategy_).choose(kind, n));
      case InlineStrategy::none: break;
    }
    return record(kind, n, strategy_.choose(kind, n));
  }
  // A schedule or yield decision, shown the ready fibers if the strategy asks.
  std::uint64_t decide_fiber(DecisionKind kind, std::uint64_t n, std::uint32_t running);
  // Crowds from this size on prefetch the random strategy's next picks: below
  // it the records and frames stay in the caches.
  static constexpr std::size_t kPrefetchCrowd = RandomStrategy::kCrowd;
  static constexpr std::uint32_t kPrefetchBatch = CrowdGuesses::kBatch;  // picks per call
  [[gnu::noinline]] void prefetch_next_picks();
  std::uint32_t prefetch_countdown_ = 1;  // steps in a crowd to the next call
  CrowdGuesses crowd_guesses_;            // the picks prefetch_next_picks fetches for
  // The decisions of nearly every step, each kind its own inline path: the
  // generic decide() is too large to inline and saves six registers a call.
  std::uint64_t decide_schedule(std::uint64_t n) {
    if (inline_strategy_ == InlineStrategy::random) [[likely]]
      return record(DecisionKind::schedule, n, static_cast<RandomStrategy&>(strategy_).choose_schedule(n));
    if (inline_strategy_ == InlineStrategy::fifo) return record(DecisionKind::schedule, n, 0);
    return decide_fiber(DecisionKind::schedule, n, kNoFiber);
  }
  // At a suspension point: park first (1) or proceed (0).
  std::uint64_t decide_yield(std::uint32_t running) {
    if (inline_strategy_ == InlineStrategy::random) [[likely]]
      return record(DecisionKind::yield, 2, static_cast<RandomStrategy&>(strategy_).choose_yield());
    if (inline_strategy_ == InlineStrategy::fifo) return record(DecisionKind::yield, 2, 0);
    return decide_fiber(DecisionKind::yield, 2, running);
  }
  std::uint64_t record(DecisionKind kind, std::uint64_t n, std::uint64_t value) {
    // A strategy answers in range: a value out of range would replay as a
    // different run.
    COROSIM_ASSERT(value < n);
    // Everything rare out of line, so the inlined append stays a few
    // instructions with no registers to save.
    if (may_halt_ || !decisions_.try_push_narrow(kind, n, value)) [[unlikely]]
      record_slowly(kind, n, value);
    return value;
  }
  void record_slowly(DecisionKind kind, std::uint64_t n, std::uint64_t value);
  void check_halted();
  // Events so far, recorded or only counted.
  std::uint64_t events_seen() const noexcept { return trace_.events_seen() + counted_events_; }
  void trace_event(TraceKind kind, const Fiber* fiber, std::uint32_t arg, std::uint64_t value,
                   const SourceLoc* where);
  void note_step_touch(Fiber& fiber);
  void step_ran(const Fiber& fiber);  // logs the step that just ran, for the next decision
  std::optional<CancelMode> cancel_here(std::uint64_t point, const SourceLoc& where, bool external);
  std::uint64_t number_point(const SourceLoc& where, bool external);
  // sim/cancellers.cpp: who can cancel a fiber now, and stalls.
  std::optional<AwaitAction> cancellation_point(Fiber& fiber, const SourceLoc& where);
  bool canceller_can_act(const Fiber& fiber) const noexcept;
  bool is_cancellation_point(const Fiber& fiber) const noexcept;
  void begin_stall(Fiber& fiber, std::size_t injection);
  void hold_stalled(Fiber& fiber);
  void stalled_fiber_parked(const Fiber& parked);
  void hurry_timer_of(Fiber& arm);
  void bring_forward(TimerNode& node);
  void end_stall(std::size_t index, bool landed);
  void settle_stalls();
  bool release_stalls();
  bool token_may_cancel(const Fiber& fiber, const Fiber& next) const;
  // The run is over: no stall survives into teardown (a held fiber goes back
  // to the run queue, from which teardown drops it).
  void forget_stalls() {
    while (!stalls_.empty()) end_stall(stalls_.size() - 1, false);
  }
  void reset(std::uint64_t seed);
  void derive_from_options();
  void explore(const Fiber& main);
  bool poll_sources();
  std::uint64_t next_deadline();
  void fire_due_timers();
  void step();
  // Most steps leave nothing to do after them: one test for all of it.
  void end_of_step() {
    if (!after_step_) [[likely]]
      return;
    finish_step();
  }
  void finish_step();
  bool work_after_step() const noexcept {
    return !deferred_interrupts_.empty() || !deferred_drops_.empty() || dropped_this_step_ ||
           !stalls_.empty();
  }
  void report_stray_suspend(Fiber& fiber);
  void on_first_resume(Fiber& fiber);
  void check_main(const Fiber& main);
  void check_leaked_fibers();
  void report_deadlock();
  // What the external sources (asio) still have pending, for a stuck run's report.
  std::string describe_pending_sources() const;
  // Time must pass to a deadline beyond SimOptions::time_max_ns: who waits.
  void report_time_budget(std::uint64_t next_deadline_ns);
  void note_hold_park(const Fiber& fiber);
  bool report_stuck_cycle();
  void check_detached_children(const Fiber& ended);
  bool snoozed_before(std::uint64_t next_ns);
  void count_snoozed_steps();
  void report_snooze(const Fiber& member, const Driver& driver, std::string bound);
  void report_hogging(const Fiber& fiber, const SourceLoc& where);
  void report_real_time();
  // sim/stop_liveness.cpp: fibers asked to stop, and the checker.
  void watch_stop(Fiber& fiber, const SourceLoc& where, std::uint64_t within_ns);
  void forget_stop(const Fiber& fiber);
  bool stop_overdue_before(std::uint64_t next_ns);
  void report_stop_never_comes();
  void report_stop_ignored(const Fiber& fiber, std::uint64_t requested_ns, const SourceLoc& where,
                           std::string wait);

  Strategy& strategy_;
  SimOptions options_;
  detail::FiberTable fibers_;
  detail::RunQueue ready_;
  detail::TimerHeap timers_;
  std::vector<TimerNode*> due_timers_;
  std::vector<std::uint32_t> ready_ids_;  // for strategies that choose by fiber
  // For strategies that want touches: the ready fibers' next steps, and the
  // steps run since the last decision (bounded: a fiber running alone for
  // long makes no decisions, and what it touched then races with nobody ready).
  bool track_touches_ = false;
  bool wants_fibers_ = false;  // the strategy's, read at the start of a run
  bool may_halt_ = false;
  bool counting_points_only_ = false;  // no cancel plan, no point recorded: see before_await
  bool record_trace_ = true;           // the options', read at the start of a run
  InlineStrategy inline_strategy_ = InlineStrategy::none;
  // Something after a resume may need a look (real time used, touches
  // tracked, drivers that count snoozes): set when one appears, recomputed
  // at reset; a stale true only costs the checks it guards.
  bool resume_checks_ = false;
  std::vector<std::uint32_t> ready_touches_;
  std::vector<StepTouch> executed_;
  static constexpr std::size_t kMaxExecutedSteps = 256;
  std::vector<Fiber*> deferred_drops_;
  std::vector<Fiber*> deferred_interrupts_;
  // Fibers that parked on an exclusive hold (a mutex, a join) since the wait-for
  // graph was last searched for a cycle while others still run; scratch_holders_
  // is reused by the check at each park so that parking allocates nothing.
  std::vector<std::uint32_t> hold_parks_;
  std::vector<std::uint32_t> scratch_holders_;
  // The unfinished fibers, for a ledger audit (after every step that drops a
  // fiber): index_unfinished's, sized by the fibers alive, not the run's ids.
  std::vector<const Fiber*> audit_alive_;
  WaitGraphBuffers wait_graph_;
  Trace trace_;
  DecisionLog decisions_;
  std::optional<Failure> failure_;
  detail::Registry<Ledger, &Ledger::ledger_prev, &Ledger::ledger_next, &Ledger::registered> ledgers_;
  detail::Registry<Driver, &Driver::driver_prev, &Driver::driver_next, &Driver::registered> drivers_;
  detail::Registry<ExternalSource, &ExternalSource::source_prev, &ExternalSource::source_next,
                   &ExternalSource::registered>
      sources_;
  bool dropped_this_step_ = false;  // a fiber was dropped: audit the ledgers
  // Set by everything that leaves work for the end of the step (a deferred
  // drop or interrupt, a drop, a stall, a retired record); finish_step()
  // leaves it set while work_after_step() says so.
  bool after_step_ = false;
  std::uint64_t cancel_starts_ = 0;
  std::vector<SourceLoc> cancel_sites_;
  std::vector<CancelInjection> injections_;
  std::vector<bool> external_points_;
  // Fibers stalled for their canceller, with the race arms hurried for them.
  struct Stall {
    Fiber* fiber = nullptr;
    std::size_t injection = 0;  // index into injections_
    std::vector<Fiber*> hurried;
    std::uint64_t held_since_step = 0;  // when it was woken and held
  };
  // A held fiber runs again after this many steps even if others could still
  // run: fibers that spin (yield in a loop until it acts) would otherwise
  // never let the run go idle, and a real scheduler is fair.
  static constexpr std::uint64_t kStallMaxSteps = 64;
  std::vector<Stall> stalls_;
  // Fibers asked to stop and not yet finished, in request order.
  struct StopRequest {
    Fiber* fiber = nullptr;
    std::uint64_t requested_ns = 0;
    SourceLoc where;  // the request
  };
  std::vector<StopRequest> stopping_;
  // Random injection: armed or not, per site (base name + line hash). Lookup
  // only; each site's decision is made at its first visit.
  absl::flat_hash_map<std::uint64_t, bool> armed_sites_;
  absl::flat_hash_map<std::uint64_t, bool> buggify_sites_;  // the same, for buggify()
  std::uint64_t now_ns_ = 0;
  std::uint64_t steps_ = 0;
  std::uint32_t next_object_id_ = 0;
  // The first real clock read or thread sleep of the run (real_time_used may
  // run in a signal handler, so it only records; the step reports it).
  struct RealTimeUse {
    const char* call = nullptr;
    std::uint32_t fiber = kNoFiber;
    SourceLoc where;
    bool reported = false;  // one report per run
  } real_time_;
  Hooks hooks_{*this};
};

// sim/cancellers.cpp tells the model; these two are asked at every await of
// a fiber that has a canceller, so they are inline.
// The canceller could act while the fiber waits here: an owner that holds
// the handle and is not awaiting it (or a scope), a race with an arm still
// running, a declared canceller.
inline bool Simulator::canceller_can_act(const Fiber& fiber) const noexcept {
  switch (fiber.canceller) {
    case Canceller::none: return false;
    case Canceller::external: return true;
    case Canceller::owner: return fiber.owner_can_cancel();
    case Canceller::race:
    case Canceller::timeout:
    case Canceller::token:
      for (std::uint8_t i = 0; i < fiber.race_size; ++i) {
        const Fiber* arm = fiber.rare().race_arms[i];
        if (arm != &fiber && arm->state != FiberState::done) return true;
      }
      return false;
  }
  return false;
}

// Whether fiber's suspension point now is a cancellation point. Awaiting a
// Task is a call: the cancellation lands at the innermost await, where the
// fiber really waits. A shield keeps it out; so does a canceller that cannot act.
inline bool Simulator::is_cancellation_point(const Fiber& fiber) const noexcept {
  return !fiber.awaiting_call() && fiber.shield_depth == 0 && canceller_can_act(fiber);
}

}  // namespace corosim
