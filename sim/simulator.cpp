#include "corosim/sim/simulator.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/strings/str_cat.h"
#include "corosim/executor/assert.h"
#include "corosim/executor/await_gate.h"
#include "corosim/runtime/driver.h"
#include "corosim/executor/fiber.h"
#include "corosim/executor/ledger.h"
#include "corosim/executor/time_text.h"
#include "corosim/runtime/real_time.h"
#include "corosim/runtime/spawn.h"
#include "corosim/sim/wait_graph.h"

namespace corosim {

Simulator::Simulator(Strategy& strategy, SimOptions options) : strategy_(strategy), options_(options) {
  set_instrumentation(&hooks_);
  plain_queue_ = &ready_;  // enqueue() only diverts a stalled fiber
  fiber_table_ = &fibers_;
  await_gate_.yield_decisions = true;
  derive_from_options();
  // The strategy is fixed for the simulator's life (both classes are final):
  // found once, not by two dynamic_casts a run (W5 runs are ~5,000 instructions).
  inline_strategy_ = dynamic_cast<RandomStrategy*>(&strategy_) != nullptr ? InlineStrategy::random
                     : dynamic_cast<FifoStrategy*>(&strategy_) != nullptr ? InlineStrategy::fifo
                                                                          : InlineStrategy::none;
  detail::link_real_time_guard();
  due_timers_.reserve(64);
  deferred_drops_.reserve(16);
  hold_parks_.reserve(16);
  scratch_holders_.reserve(16);
  decisions_.reserve(1024);
}

Simulator::~Simulator() { assert(fibers_.alive_count() == 0); }

void Simulator::reset(std::uint64_t seed) {
  trace_.clear();
  decisions_.clear();
  failure_.reset();
  now_ns_ = 0;
  steps_ = 0;
  next_object_id_ = 0;
  await_gate_.cancel_points = 0;
  cancel_starts_ = 0;
  cancel_sites_.clear();
  external_points_.clear();
  stalls_.clear();
  stopping_.clear();
  hold_parks_.clear();
  dropped_this_step_ = false;
  after_step_ = work_after_step();  // records the last run's teardown retired
  injections_.clear();
  armed_sites_.clear();
  buggify_sites_.clear();
  real_time_ = {};
  strategy_.begin_run(seed);
  // Constant for a run: read once rather than by a virtual call per decision.
  // (A portfolio's answers change with the member that makes the run.)
  wants_fibers_ = strategy_.wants_fibers();
  may_halt_ = strategy_.may_halt();
  // Untraced, every event is only counted but drops and the returns of
  // fibers with end checks (Executor::trace_if), which trace_event() checks;
  // a suspension at a stalled point joins them once a stall is armed
  // (cancellers.cpp).
  counted_kinds_ = record_trace_ ? 0 : ~kind_bit(TraceKind::drop);
  counted_events_ = 0;
  track_touches_ = strategy_.wants_touches();
  await_gate_.open = counting_points_only_ && !track_touches_;
  resume_checks_ = track_touches_ || !drivers_.empty();
  executed_.clear();
}

// What every run reads of the options, worked out when they are set rather
// than at the start of each run (a run of W5 is ~3,500 instructions).
void Simulator::derive_from_options() {
  counting_points_only_ = options_.cancel.kind == CancelPlan::Kind::none && !options_.record_cancel_sites &&
                          !options_.record_cancel_kinds;
  record_trace_ = options_.record_trace;
  await_gate_.decide_before = await_kind_bit(AwaitKind::operation) | await_kind_bit(AwaitKind::call) |
                              (options_.decide_before_yield_now ? await_kind_bit(AwaitKind::yield) : 0) |
                              (options_.decide_before_parking ? await_kind_bit(AwaitKind::parking) : 0);
  await_gate_.hog_limit = options_.hog_max_awaits != 0 ? options_.hog_max_awaits : ~std::uint32_t{0};
}

RunResult Simulator::run(const MainFactory& main, std::uint64_t seed) {
  assert(current_executor() == nullptr && "one executor per thread at a time");
  reset(seed);
  detail::set_current(this, nullptr);
  const std::int64_t frames_before = detail::frames_live();
  std::uint32_t fibers_spawned = 0;
  {
    JoinHandle<void> handle = start_main(main());
    const Fiber& main_fiber = handle.fiber_record();
    explore(main_fiber);
    forget_stalls();
    // The end-of-run checkers, each behind the test that almost every run
    // fails: they are for a main that finished in a run not failed yet.
    if (!failure_ && main_fiber.state == FiberState::done) {
      if (main_fiber.cold_if_any() != nullptr) check_main(main_fiber);
      if (!failure_) check_leaked_fibers();
      if (!ledgers_.empty()) audit_ledgers();
    }
    if (handle.is_finished() && !main_fiber.dropped) handle.fiber_record().exception_seen = true;
    fibers_spawned = fibers_.spawned();
    fibers_.drop_unfinished();   // step() parks stray fibers, so none is running
    dropped_this_step_ = false;  // the ledgers were audited before teardown
  }  // main's handle is released here, after the others are gone
  end_of_step();
  if (real_time_.call != nullptr) report_real_time();  // from teardown's destructors
  const std::int64_t frames_left = detail::frames_live() - frames_before;
  if (frames_left != 0 && !failure_) {
    report_failure(Checker::leak,
                   absl::StrCat(frames_left,
                                " coroutine frame(s) still alive after the run: a Task that was "
                                "created but never awaited nor destroyed?"),
                   SourceLoc{});
  }
  forget_ledgers();
  ready_.clear();  // empty after teardown; cleared before the records go
  fibers_.clear();
  timers_.clear();
  detail::set_current(nullptr, nullptr);

  strategy_.end_run(failure_.has_value(), steps_);
  // What is most often empty is copied only when it is not (a run of an
  // exploration does little else).
  RunResult result;
  if (failure_) result.failure = failure_;
  result.seed = seed;
  result.steps = steps_;
  result.time_ns = now_ns_;
  result.trace_hash = record_trace_ ? trace_.hash() : 0;
  result.events = events_seen();
  result.fibers = fibers_spawned;
  if (failure_ || options_.decisions_of_passing_runs) result.decisions = decisions_.stream();
  result.cancel_points = await_gate_.cancel_points;
  result.cancel_starts = cancel_starts_;
  if (!cancel_sites_.empty()) result.cancel_sites = cancel_sites_;
  if (!external_points_.empty()) result.external_points = external_points_;
  result.cancel_plan = options_.cancel;
  if (!injections_.empty()) result.injections = injections_;
  return result;
}

void Simulator::explore(const Fiber& main) {
  while (!failure_ && main.state != FiberState::done) {
    if (timers_.armed() != 0) fire_due_timers();  // most steps of most runs have no timer armed
    if (ready_.empty()) {
      // Nothing else can run: held fibers run on, unless their owner's timer is next.
      if (!stalls_.empty() && release_stalls()) continue;
      if (!sources_.empty() && poll_sources()) continue;
      const std::uint64_t next = next_deadline();
      if (next == kNoDeadline) {
        if (!stopping_.empty()) {
          report_stop_never_comes();
        } else {
          report_deadlock();
        }
        return;
      }
      // Before time passes (which is when a cycle formed in this instant
      // would be reported): fibers stuck while others wait for a timer.
      if (!hold_parks_.empty() && report_stuck_cycle()) return;
      if (!stopping_.empty() && stop_overdue_before(next)) return;
      if (!drivers_.empty() && snoozed_before(next)) return;
      if (next > options_.time_max_ns) {
        report_time_budget(next);
        return;
      }
      now_ns_ = next;
      continue;
    }
    if (steps_ >= options_.steps_max) {
      report_failure(Checker::budget,
                     absl::StrCat("step budget of ", options_.steps_max,
                                  " exceeded with fibers still running (livelock or a busy loop?)"),
                     SourceLoc{});
      return;
    }
    step();
  }
}

// The external sources run what is due at the current time (asio's timers
// complete into handler fibers).
bool Simulator::poll_sources() {
  bool woke = false;
  for (ExternalSource* source = sources_.head(); source != nullptr; source = source->source_next) {
    woke = source->poll() || woke;
  }
  return woke || !ready_.empty();
}

// When time must pass to: the earliest fiber timer or source deadline.
std::uint64_t Simulator::next_deadline() {
  std::uint64_t next = timers_.empty() ? kNoDeadline : timers_.next_deadline();
  for (ExternalSource* source = sources_.head(); source != nullptr; source = source->source_next) {
    next = std::min(next, source->next_deadline_ns());
  }
  return next;
}

void Simulator::fire_due_timers() {
  while (!timers_.empty() && timers_.next_deadline() <= now_ns_) {
    due_timers_.push_back(&timers_.pop());
  }
  // Timers due together fire in an order the strategy chooses.
  while (!due_timers_.empty()) {
    const std::size_t index =
        due_timers_.size() > 1 ? decide(DecisionKind::timer_tie, due_timers_.size()) : 0;
    TimerNode& node = *due_timers_[index];
    due_timers_.erase(due_timers_.begin() + static_cast<std::ptrdiff_t>(index));
    trace(TraceKind::timer_fire, node.fiber, 0, node.deadline_ns, nullptr);
    detail::fiber_wake(*node.fiber);
  }
}

// In a crowd too large for the caches, each pick of the random strategy is a
// walk of three misses: the run queue's slot, the fiber's record, its frame.
// The strategy's next crowd picks are known (CrowdGuesses), so every
// kPrefetchBatch steps this starts the walks of the picks ahead in three
// stages, each a batch of kPrefetchBatch picks: the slots of those 3 to 4
// batches ahead, the records of those 2 to 3 ahead, whose slots the last call
// fetched, and the frames of those 1 to 2 ahead, whose records it fetched. A
// fourth fetches the next batch's slots, records and frames again: fetched
// that far ahead, many had left the first-level cache by their step, which
// then waited for the second (docs/performance.md, "Slots loaded, guesses
// kept"). Every line a step reads is fetched: a record's first kFiberEndBytes
// (what a step reads, and what a fiber's end reads) and a frame's first 256,
// which lie across four lines and five when they do not start on a line's
// start (both start on any 16-byte boundary of the frame pool), and the line
// of the links a fiber's end writes in its two neighbours' records; fetching
// two and four lines left most steps a miss or two that was waited for
// (docs/performance.md, "Every line of a pick"). Batched, not a stage per
// step: on the machine this was measured on, a prefetch that misses holds up
// the instructions behind it as if it were a load, so spread over a step of
// ~200 instructions each one costs a whole miss; issued together, they overlap
// (docs/performance.md, "Prefetches in batches"). The slots are loaded, not
// prefetched: the record stage then found them in the caches, where after a
// prefetch it waited on most of them (docs/performance.md, "Slots loaded,
// guesses kept"). A wrong guess costs a wasted fetch, never a different run:
// the only loads are of slots and of records still queued.
void Simulator::prefetch_next_picks() {
  constexpr int kBatch = kPrefetchBatch;
  constexpr int kFrameHotBytes = 256;
  static_assert(CrowdGuesses::kAhead == 4 * kBatch);
  // This step's fiber assumed back in the queue.
  crowd_guesses_.update(static_cast<const RandomStrategy&>(strategy_), ready_.size() + 1);
  const CrowdGuesses& guesses = crowd_guesses_;
  // Summed only so that the loads are not deleted; nothing reads the sum.
  std::uintptr_t loaded = 0;
  for (int k = 3 * kBatch + 1; k <= 4 * kBatch; ++k)
    loaded += reinterpret_cast<std::uintptr_t>(*ready_.slot_ahead(k, guesses.ahead(k)));
  asm volatile("" ::"r"(loaded));
  const auto fetch_record = [](const Fiber& record) {
    const char* hot = reinterpret_cast<const char*>(&record);
    for (int offset : {0, 64, 128, kFiberEndBytes - 1}) __builtin_prefetch(hot + offset);
  };
  const auto fetch_frame = [](const Fiber& record) {
    const char* frame = static_cast<const char*>(record.resume_point.target());
    for (int offset : {0, 64, 128, 192, kFrameHotBytes - 1}) __builtin_prefetch(frame + offset);
  };
  for (int k = 2 * kBatch + 1; k <= 3 * kBatch; ++k) {
    if (const Fiber* record = ready_.queued_ahead(k, guesses.ahead(k))) fetch_record(*record);
  }
  for (int k = kBatch + 1; k <= 2 * kBatch; ++k) {
    if (const Fiber* record = ready_.queued_ahead(k, guesses.ahead(k))) {
      fetch_frame(*record);
      // Should the pick end its fiber, the end unlinks it from its
      // neighbours in the alive and scope lists (in spawn order, mostly the
      // same two records): their links, written then, would be misses the
      // next steps' stores queue behind.
      for (const Fiber* neighbour : {record->alive_prev, record->alive_next}) {
        if (neighbour != nullptr)
          __builtin_prefetch(reinterpret_cast<const char*>(neighbour) + kFiberLinksAt, 1);
      }
    }
  }
  for (int k = 1; k <= kBatch; ++k) {
    __builtin_prefetch(ready_.slot_ahead(k, guesses.ahead(k)));
    if (const Fiber* record = ready_.queued_ahead(k, guesses.ahead(k))) {
      fetch_record(*record);
      fetch_frame(*record);
    }
  }
  // A function of loads and prefetches only has no effect g++ can see: this
  // keeps it from deleting the call.
  asm volatile("" ::: "memory");
}

// Inlined into explore's loop, its only caller: a call per step would save
// and restore the loop's registers every time.
[[gnu::always_inline]] inline void Simulator::step() {
  const std::size_t index = ready_.size() > 1 ? decide_schedule(ready_.size()) : 0;
  Fiber& fiber = ready_.take(index);
  if (ready_.size() >= kPrefetchCrowd && inline_strategy_ == InlineStrategy::random) [[unlikely]] {
    if (--prefetch_countdown_ == 0) {
      prefetch_countdown_ = kPrefetchBatch;
      prefetch_next_picks();
    }
  }
  COROSIM_ASSERT(fiber.state == FiberState::ready);
  fiber.state = FiberState::running;
  ++steps_;
  fibers_.begin_step();
  detail::set_current_fiber(&fiber);
  trace(TraceKind::resume, &fiber, 0, 0, nullptr);
  if (!fiber.started) on_first_resume(fiber);
  fiber.resume_point.resume();
  if (fiber.root_returned) detail::finish_returned_root(fiber);
  // A call from a destructor in end_of_step() is reported after the next
  // step, or at the end of the run.
  if (resume_checks_ && real_time_.call != nullptr) [[unlikely]]
    report_real_time();
  detail::set_current_fiber(nullptr);
  // The fiber gave control back: parked, ready again, or done, never still
  // running. (Checked before end_of_step, which may free its record.) A
  // fiber ready again (it yielded) needs no look.
  if (fiber.state != FiberState::ready) {
    if (fiber.state == FiberState::running) report_stray_suspend(fiber);
    COROSIM_ASSERT(fiber.state != FiberState::running);
    if (track_touches_ && fiber.state == FiberState::done) [[unlikely]]
      step_ran(fiber);
    // A park on a channel or a token (never exclusive) costs no call, nor
    // does a fiber that parks again in a row (a loop joining what it
    // spawns): it is noted once, and the search starts from where it waits
    // when time next passes.
    if (fiber.state == FiberState::waiting && fiber.waiting_on != nullptr &&
        fiber.waiting_on->may_be_exclusive() && (hold_parks_.empty() || hold_parks_.back() != fiber.id))
      note_hold_park(fiber);
  }
  end_of_step();
  if (resume_checks_ && !drivers_.empty() && options_.snooze_max_steps != 0) count_snoozed_steps();
}

// An externally cancellable fiber starts: the target of a pre-cancelled start.
void Simulator::on_first_resume(Fiber& fiber) {
  fiber.started = true;
  if (fiber.canceller != Canceller::external || fiber.shield_depth != 0) return;
  const std::uint64_t start = cancel_starts_++;
  const CancelPlan& plan = options_.cancel;
  if (plan.kind != CancelPlan::Kind::at_point || plan.mode != CancelMode::prestart || plan.point != start) {
    return;
  }
  injections_.push_back(CancelInjection{start, CancelMode::prestart, fiber.spawned_at, fiber.id,
                                        Canceller::external, fiber.canceller_at, true, "start"});
  trace(TraceKind::cancel, &fiber, 0, static_cast<std::uint64_t>(AwaitAction::cancel_stop),
        &fiber.spawned_at);
  detail::fiber_request_stop(fiber, fiber.spawned_at);
  fiber.pre_cancelled = true;
}

// The fiber gave control back without parking at a hooked suspension point or
// finishing: an awaiter transferred to a coroutine that is not a corosim Task
// and suspended there, or the compiler lost the coroutine (g++ 12 does, for
// `if (co_await task() == x)` and other co_awaits as conditions). Nothing
// will ever wake it; say so and park it
// so that teardown can drop it.
void Simulator::report_stray_suspend(Fiber& fiber) {
  fiber.state = FiberState::waiting;
  report_failure(
      Checker::stray_suspend,
      absl::StrCat("fiber ", fiber.id,
                   " returned to the scheduler without parking at a corosim "
                   "suspension point or finishing; its last suspension point was ",
                   fiber.suspended_at.str(),
                   ". Awaiting a coroutine type other than corosim::Task, or a "
                   "g++ 12 miscompilation of `if (co_await ...)` or `while (co_await ...)` (bind the "
                   "result to a variable first)?"),
      fiber.suspended_at);
}

void Simulator::finish_step() {
  for (Fiber* fiber : deferred_interrupts_) {
    // Still registered with its operand (the primitive may yet wake it: ignored).
    if (fiber->state != FiberState::waiting) continue;
    fiber->state = FiberState::ready;
    fiber->waiting_on = nullptr;
    trace(TraceKind::wake, fiber, kNoFiber, 0, nullptr);
    detail::fiber_schedule(*fiber);
  }
  deferred_interrupts_.clear();
  for (std::size_t i = 0; i < deferred_drops_.size(); ++i) detail::fiber_drop(*deferred_drops_[i]);
  deferred_drops_.clear();
  if (dropped_this_step_) {
    dropped_this_step_ = false;
    audit_ledgers();
  }
  if (!stalls_.empty()) settle_stalls();
  after_step_ = work_after_step();
}

void Simulator::Hooks::defer_interrupt(Fiber& fiber) { simulator_.defer_interrupt(fiber); }
bool Simulator::Hooks::buggify(const SourceLoc& where) { return simulator_.buggify(where); }
void Simulator::Hooks::trace(TraceKind kind, const Fiber* fiber, std::uint32_t arg, std::uint64_t value,
                             const SourceLoc* where) {
  // Executor::trace and trace_if have already counted what was only to be
  // counted: whatever comes here is for trace_event.
  simulator_.trace_event(kind, fiber, arg, value, where);
}
void Simulator::Hooks::register_ledger(Ledger& ledger) { simulator_.register_ledger(ledger); }
void Simulator::Hooks::unregister_ledger(Ledger& ledger) { simulator_.unregister_ledger(ledger); }
void Simulator::Hooks::register_driver(Driver& driver) { simulator_.register_driver(driver); }
void Simulator::Hooks::unregister_driver(Driver& driver) { simulator_.unregister_driver(driver); }
void Simulator::Hooks::real_time_used(const char* call) noexcept { simulator_.real_time_used(call); }

void Simulator::register_ledger(Ledger& ledger) { ledgers_.add(ledger); }
void Simulator::unregister_ledger(Ledger& ledger) { ledgers_.remove(ledger); }
void Simulator::Hooks::register_source(ExternalSource& source) { simulator_.sources_.add(source); }
void Simulator::Hooks::unregister_source(ExternalSource& source) { simulator_.sources_.remove(source); }
void Simulator::register_driver(Driver& driver) {
  drivers_.add(driver);
  resume_checks_ = true;
}
void Simulator::unregister_driver(Driver& driver) { drivers_.remove(driver); }

void Simulator::forget_ledgers() {
  ledgers_.clear();
  drivers_.clear();
  sources_.clear();
}

// Before virtual time jumps to next_ns: does a held member pass its snooze
// bound first? Then time stops at that moment and the run fails there. The
// earliest such moment wins (ties: the first driver, then the first held).
bool Simulator::snoozed_before(std::uint64_t next_ns) {
  const Fiber* late_member = nullptr;
  const Driver* late_driver = nullptr;
  std::uint64_t late_at = 0;
  std::uint64_t late_bound = 0;
  for (const Driver* driver = drivers_.head(); driver != nullptr; driver = driver->driver_next) {
    const Driver* blocking = driver->blocking();
    if (blocking == nullptr) continue;
    const auto own = static_cast<std::uint64_t>(blocking->snooze_limit().count());
    const std::uint64_t bound = own != 0 ? own : options_.snooze_max_ns;
    if (bound == 0) continue;
    for (const Fiber* member : driver->held()) {
      if (!member->started) continue;  // never polled yet: lazy, not snoozed
      const std::uint64_t at = member->rare().ready_since_ns + bound;
      if (at >= next_ns || (late_member != nullptr && at >= late_at)) continue;
      late_member = member;
      late_driver = blocking;
      late_at = at;
      late_bound = bound;
    }
  }
  if (late_member == nullptr) return false;
  now_ns_ = std::max(now_ns_, late_at);
  report_snooze(*late_member, *late_driver, absl::StrCat(late_bound / 1'000'000, "ms"));
  return true;
}

// A step passed: every held member whose owner is blocked elsewhere (not
// merely waiting for its turn) counts it.
void Simulator::count_snoozed_steps() {
  for (const Driver* driver = drivers_.head(); driver != nullptr; driver = driver->driver_next) {
    if (driver->held().empty()) continue;
    const Driver* blocking = driver->blocking();
    if (blocking == nullptr) continue;
    const Fiber* owner = fibers_.find_alive(blocking->owner_id());
    if (owner == nullptr || owner->state != FiberState::waiting) continue;
    for (Fiber* member : driver->held()) {
      if (!member->started) continue;
      if (++member->cold().held_steps <= options_.snooze_max_steps) continue;
      report_snooze(*member, *blocking, absl::StrCat(options_.snooze_max_steps, " steps"));
      return;
    }
  }
}

// driver: the one whose owner is not polling (the member may belong to a
// combinator nested inside it).
void Simulator::report_snooze(const Fiber& member, const Driver& driver, std::string bound) {
  std::string where;
  driver.describe(where);
  std::string message =
      absl::StrCat("fiber ", member.id, " (spawned at ", member.spawned_at.str(),
                   ") is ready but has not been polled for ", bound,
                   " (ready since t=", member.rare().ready_since_ns / 1'000'000, "ms): it is driven by ",
                   where, ", which runs it only while its owner awaits it");
  SourceLoc location = driver.created_at();
  if (const Fiber* owner = fibers_.find_alive(driver.owner_id())) {
    const std::string owner_name = owner->id == 0 ? "fiber 0 (main)" : absl::StrCat("fiber ", owner->id);
    if (owner->state == FiberState::done) {
      absl::StrAppend(&message, ", and its owner, ", owner_name, ", has finished");
    } else {
      absl::StrAppend(&message, "; its owner, ", owner_name, ", is awaiting ", owner->waiting_what, " at ",
                      owner->suspended_at.str(), " instead");
      location = owner->suspended_at;
    }
  }
  report_failure(Checker::snooze, std::move(message), location);
}

void Simulator::report_hogging(const Fiber& fiber, const SourceLoc& where) {
  report_failure(Checker::hogging,
                 absl::StrCat("fiber ", fiber.id, " (spawned at ", fiber.spawned_at.str(), ") passed ",
                              fiber.unparked_awaits,
                              " operations in one resumption without parking (every one was "
                              "already complete), so no other fiber ran; "
                              "the last at ",
                              where.str(), ". A loop that never yields: add co_await yield_now()"),
                 where);
}

// Audits every live primitive's ledger, in creation order; the first
// imbalance fails the run.
void Simulator::audit_ledgers() {
  if (failure_ || ledgers_.empty()) return;
  index_unfinished(fibers_.first_alive(), audit_alive_);
  const Ledger::FiberAlive is_alive = [this](std::uint32_t id) {
    return position_of(audit_alive_, id) != kNotIndexed;
  };
  std::string violation;
  for (const Ledger* ledger = ledgers_.head(); ledger != nullptr; ledger = ledger->ledger_next) {
    ledger->audit(is_alive, violation);
    if (violation.empty()) continue;
    report_failure(Checker::ledger, violation + " (created at " + ledger->created_at().str() + ")",
                   ledger->created_at());
    return;
  }
}

// A finished main with cold fields, in a run not failed yet (run() tests
// that): an exception is kept in the cold fields, and most mains have none.
void Simulator::check_main(const Fiber& main) {
  std::exception_ptr error = detail::fiber_exception(main);
  if (!error) return;
  report_failure(Checker::escaped_exception,
                 "main threw " + detail::describe_exception(error) + " and nobody caught it",
                 main.suspended_at);
}

// Main finished, in a run not failed yet (run() tests that).
void Simulator::check_leaked_fibers() {
  // Most runs end with every fiber done: nothing leaked, and no cycle to look for.
  const Fiber* unfinished = fibers_.first_alive();
  while (unfinished != nullptr && unfinished->state == FiberState::done) unfinished = unfinished->alive_next;
  if (unfinished == nullptr) return;
  // Left behind in a cycle: a deadlock, said as one rather than as a leak.
  if (!hold_parks_.empty() && report_stuck_cycle()) return;
  std::string message;
  std::size_t leaked = 0;
  for (const Fiber* fiber = unfinished; fiber != nullptr; fiber = fiber->alive_next) {
    if (fiber->state == FiberState::done) continue;
    ++leaked;
    absl::StrAppend(&message, "\n  ", describe_blocked_fiber(*fiber));
  }
  report_failure(Checker::leak, absl::StrCat(leaked, " fiber(s) still alive when main returned:", message),
                 unfinished->spawned_at);
}

// A fiber ended: no fiber it detached may still run, unless allowed to
// outlive it (main's leftovers are the leak checker's, at the end of the run).
void Simulator::check_detached_children(const Fiber& ended) {
  for (const Fiber* child = fibers_.first_alive(); child != nullptr; child = child->alive_next) {
    if (child->rare().detached_by != ended.id || child->may_outlive || child->state == FiberState::done) {
      continue;
    }
    report_failure(
        Checker::detached_fiber,
        absl::StrCat("fiber ", child->id, " (spawned at ", child->spawned_at.str(),
                     ") was detached by fiber ", ended.id, " (spawned at ", ended.spawned_at.str(),
                     ") and is still running after fiber ", ended.id,
                     " ended: it outlives the scope that started it (now at ", child->suspended_at.str(),
                     "). Join it, spawn it into a TaskScope, or detach(Outlive::allowed) "
                     "if it may"),
        child->spawned_at);
    return;
  }
}

// A park that may close a cycle of exclusive holds: searched for before
// time next passes (report_stuck_cycle), not now — a cancellation issued in
// this instant may still break it.
void Simulator::note_hold_park(const Fiber& fiber) {
  // A target that overrides holders_exclusive() to say no leaves here,
  // before holders are listed (the search checks it again; this only saves
  // the work).
  if (!fiber.waiting_on->holders_exclusive()) return;
  scratch_holders_.clear();
  fiber.waiting_on->holder_ids(scratch_holders_);
  if (scratch_holders_.empty()) return;
  // A run that never lets time pass would grow the list park by park: keep
  // each fiber once.
  if (hold_parks_.size() == hold_parks_.capacity() && hold_parks_.size() >= 1024) {
    std::sort(hold_parks_.begin(), hold_parks_.end());
    hold_parks_.erase(std::unique(hold_parks_.begin(), hold_parks_.end()), hold_parks_.end());
  }
  hold_parks_.push_back(fiber.id);
}

bool Simulator::report_stuck_cycle() {
  std::optional<WaitGraphReport> report = find_stuck_cycle(fibers_.first_alive(), hold_parks_, wait_graph_);
  hold_parks_.clear();
  if (!report) return false;
  report_failure(Checker::deadlock, std::move(report->message), report->location);
  return true;
}

std::string Simulator::describe_pending_sources() const {
  std::string text;
  for (const ExternalSource* source = sources_.head(); source != nullptr; source = source->source_next) {
    text += source->describe_pending();
  }
  return text;
}

void Simulator::report_deadlock() {
  WaitGraphReport report = describe_wait_graph(fibers_.first_alive());
  report.message += describe_pending_sources();
  report_failure(report.futurelock ? Checker::futurelock : Checker::deadlock, std::move(report.message),
                 report.location);
}

void Simulator::report_time_budget(std::uint64_t next_deadline_ns) {
  std::vector<const Fiber*> waiting;
  index_unfinished(fibers_.first_alive(), waiting);
  std::string message =
      absl::StrCat("virtual time budget of ", virtual_time_text(options_.time_max_ns), " (",
                   options_.time_max_ns, "ns) exceeded: the next timer is due at ",
                   virtual_time_text(next_deadline_ns), "; ", waiting.size(), " fiber(s) waiting:");
  for (const Fiber* fiber : waiting) absl::StrAppend(&message, "\n  ", describe_blocked_fiber(*fiber));
  message += describe_pending_sources();
  report_failure(Checker::budget, std::move(message),
                 waiting.empty() ? SourceLoc{} : waiting.front()->suspended_at);
}

void Simulator::enqueue(Fiber& fiber) {
  if (fiber.stall != StallState::none) [[unlikely]] {
    hold_stalled(fiber);
    return;
  }
  ready_.push(fiber);
}

// Woken at its stalled point: held for its canceller.
void Simulator::hold_stalled(Fiber& fiber) {
  fiber.stall = StallState::holding;
  fiber.queued = true;
  for (Stall& stall : stalls_) {
    if (stall.fiber != &fiber) continue;
    stall.held_since_step = steps_;
    injections_[stall.injection].held_from_ns = injections_[stall.injection].held_until_ns = now_ns_;
  }
}
void Simulator::dequeue(Fiber& fiber) {
  if (fiber.stall == StallState::holding) [[unlikely]] {
    fiber.queued = false;  // dropped while held: settle_stalls() sees it ended
    return;
  }
  ready_.remove(fiber);
}
void Simulator::defer_drop(Fiber& fiber) {
  deferred_drops_.push_back(&fiber);
  after_step_ = true;
}
void Simulator::defer_interrupt(Fiber& fiber) {
  deferred_interrupts_.push_back(&fiber);
  after_step_ = true;
}
// A suspension point ends the fiber's step and begins the next, which
// touches what was declared for it. An await that only calls a Task is no
// step boundary here: the step runs on into the callee (strategies that
// want touches do not pre-empt there), and a declaration waits for the
// callee's first real point.
void Simulator::note_step_touch(Fiber& fiber) {
  if (fiber.awaiting_call()) return;
  step_ran(fiber);
  fiber.touch = std::exchange(fiber.declared_touch, kTouchUnknown);
}

void Simulator::step_ran(const Fiber& fiber) {
  if (executed_.size() < kMaxExecutedSteps) executed_.push_back(StepTouch{fiber.id, fiber.touch});
}

// What detail::before_await (executor/await_gate.h) settles inline when the
// gate is open is a subset of this: both must agree.
AwaitAction Simulator::before_await(Fiber& fiber, const SourceLoc& where) {
  if (track_touches_) [[unlikely]]
    note_step_touch(fiber);
  if (!fiber.awaiting_call() && ++fiber.unparked_awaits > await_gate_.hog_limit) [[unlikely]] {
    report_hogging(fiber, where);
    return AwaitAction::suspend_first;  // ends the step, which the loop may never do
  }
  if (fiber.pre_cancelled && fiber.shield_depth == 0) {
    fiber.pre_cancelled = false;
    return AwaitAction::cancel_stop;  // the first (unshielded) point of a pre-cancelled fiber
  }
  if (fiber.canceller != Canceller::none) {
    if (counting_points_only_) {
      // Nothing can be injected or recorded: a point is only counted (as
      // cancellation_point would, which no stall can need: none begins).
      if (is_cancellation_point(fiber)) ++await_gate_.cancel_points;
    } else if (std::optional<AwaitAction> action = cancellation_point(fiber, where)) {
      return *action;
    }
  }
  return detail::yield_decision_due(fiber, *this) ? yield_decision(fiber) : AwaitAction::proceed;
}

AwaitAction Simulator::yield_decision(Fiber& fiber) {
  return decide_yield(fiber.id) == 1 ? AwaitAction::suspend_first : AwaitAction::proceed;
}

void Simulator::arm_timer(TimerNode& node) {
  if (node.fiber->hurry) [[unlikely]] {
    bring_forward(node);  // it races a stalled arm: its timer may fire first
  } else if (options_.timer_jitter_ns != 0) {
    node.deadline_ns += decide(DecisionKind::timer_delay, 11) * (options_.timer_jitter_ns / 10);
  }
  timers_.arm(node);
}
void Simulator::cancel_timer(TimerNode& node) { timers_.cancel(node); }

std::uint64_t Simulator::random_below(std::uint64_t bound) {
  return bound > 1 ? decide(DecisionKind::random, bound) : 0;
}

// FoundationDB's BUGGIFY: a call site is armed or not for the whole run (at
// its first call); an armed site fires at a call with a probability. Both
// are decisions, so a repro replays the same faults.
bool Simulator::buggify(const SourceLoc& where) {
  auto [site, first_visit] = buggify_sites_.try_emplace(where.stable_hash(), false);
  if (first_visit) site->second = decide(DecisionKind::buggify_arm, 2) == 1;
  return site->second && decide(DecisionKind::buggify_fire, 2) == 1;
}

std::optional<CancelMode> Simulator::cancel_here(std::uint64_t point, const SourceLoc& where, bool external) {
  const CancelPlan& plan = options_.cancel;
  switch (plan.kind) {
    case CancelPlan::Kind::none: return std::nullopt;
    case CancelPlan::Kind::at_point:
      if (plan.mode == CancelMode::prestart) return std::nullopt;     // acts at starts, not points
      if (!external && point == plan.point) return CancelMode::drop;  // the mechanism's mode
      if (point == plan.point) return plan.mode;
      return std::nullopt;
    case CancelPlan::Kind::random: {
      assert(!plan.modes.empty());
      if (plan.once && !injections_.empty()) return std::nullopt;  // no decisions asked: the input is spent
      auto [site, first_visit] = armed_sites_.try_emplace(where.stable_hash(), false);
      if (first_visit) site->second = decide(DecisionKind::cancel_arm, 2) == 1;
      if (!site->second || decide(DecisionKind::cancel_fire, 2) == 0) return std::nullopt;
      if (!external) return CancelMode::drop;  // the program's canceller decides how
      if (plan.modes.size() == 1) return plan.modes.front();
      return plan.modes[decide(DecisionKind::cancel_mode, plan.modes.size())];
    }
  }
  return std::nullopt;
}

std::uint64_t Simulator::decide_fiber(DecisionKind kind, std::uint64_t n, std::uint32_t running) {
  if (!wants_fibers_) return decide(kind, n);
  ready_ids_.clear();
  ready_touches_.clear();
  for (std::size_t i = 0; i < ready_.size(); ++i) {
    ready_ids_.push_back(ready_.at(i).id);
    if (track_touches_) ready_touches_.push_back(ready_.at(i).touch);
  }
  FiberView view{ready_ids_.data(), ready_ids_.size(), running};
  if (track_touches_) {
    view.touches = ready_touches_.data();
    if (running != kNoFiber) {
      view.running_touch = current_fiber()->touch;
      view.running_calls = current_fiber()->awaiting_call();
    }
    view.executed = executed_.data();
    view.executed_count = executed_.size();
  }
  const std::uint64_t value = strategy_.choose_fiber(kind, n, view);
  executed_.clear();
  return record(kind, n, value);
}

// A decision record() did not append inline: under a strategy that may
// halt (replay), or a full log, or a value too wide to pack.
void Simulator::record_slowly(DecisionKind kind, std::uint64_t n, std::uint64_t value) {
  if (may_halt_) check_halted();
  if (!decisions_.try_push_narrow(kind, n, value)) decisions_.push_back(Decision{kind, n, value});
}

// A replay that left its recording stops the run there.
void Simulator::check_halted() {
  if (!strategy_.halted() || failure_) return;
  const Fiber* fiber = current_fiber();
  report_failure(Checker::replay_diverged, strategy_.halt_message(),
                 fiber != nullptr ? fiber->suspended_at : SourceLoc{});
}

// What the trace hook does besides recording. An untraced run's events come
// here only for the kinds not in counted_kinds_ (set in reset()): a new side
// effect needs its kind out of that mask too.
void Simulator::trace_event(TraceKind kind, const Fiber* fiber, std::uint32_t arg, std::uint64_t value,
                            const SourceLoc* where) {
  if (kind == TraceKind::drop) dropped_this_step_ = after_step_ = true;
  if (kind == TraceKind::suspend && fiber != nullptr && fiber->stall == StallState::armed) [[unlikely]] {
    stalled_fiber_parked(*fiber);
  }
  // A fiber's end comes here, traced or not, when it has end checks: what it
  // detached must have finished, and a stop request it honoured is forgotten.
  if ((kind == TraceKind::complete || kind == TraceKind::drop) && fiber != nullptr) {
    if (fiber->rare().stop_deadline_ns != kNoDeadline) forget_stop(*fiber);
    if (fiber->checks_detached()) check_detached_children(*fiber);
  }
  if (!record_trace_) {
    trace_.count();
    return;
  }
  const bool at_await = kind == TraceKind::suspend || kind == TraceKind::yield || kind == TraceKind::drop ||
                        kind == TraceKind::cancel;
  trace_.add(kind, fiber != nullptr ? fiber->id : kNoFiber, arg, value, now_ns_, where,
             at_await && fiber != nullptr ? fiber->waiting_what : "");
}

void Simulator::real_time_used(const char* call) noexcept {
  resume_checks_ = true;
  if (real_time_.call != nullptr || real_time_.reported) return;
  const Fiber* fiber = current_fiber();
  real_time_.fiber = fiber != nullptr ? fiber->id : kNoFiber;
  real_time_.where = fiber == nullptr              ? SourceLoc{}
                     : fiber->suspended_at.known() ? fiber->suspended_at
                                                   : fiber->spawned_at;
  real_time_.call = call;
}

void Simulator::report_real_time() {
  const RealTimeUse use = std::exchange(real_time_, RealTimeUse{});
  real_time_.reported = true;
  std::string who = use.fiber == kNoFiber ? std::string("a destructor") : absl::StrCat("fiber ", use.fiber);
  if (use.where.known()) absl::StrAppend(&who, " (after its suspension at ", use.where.str(), ")");
  const std::string message =
      detail::real_time_call_sleeps(use.call)
          ? absl::StrCat(who, " slept the thread with ", use.call,
                         "() (std::this_thread::sleep_for, sleep, usleep): inside a simulation a "
                         "real sleep stops every fiber while virtual time stands still, so it "
                         "tests nothing and slows every run. Use co_await corosim::sleep_for(d)")
          : absl::StrCat(who, " read the real clock with ", use.call,
                         "() (std::chrono clocks' now(), time(), gettimeofday): a run that reads "
                         "real time depends on the machine instead of its seed and does not "
                         "replay. Use corosim::now(), or hold a corosim::VirtualClock in the "
                         "scenario (std::chrono's clocks then read the run's virtual time); code "
                         "that only logs a timestamp can run inside a corosim::RealTimeAllowed scope");
  report_failure(Checker::real_time, message, use.where);
}

void Simulator::report_failure(Checker checker, std::string message, const SourceLoc& where) {
  if (failure_) return;
  const Fiber* fiber = current_fiber();
  const std::uint64_t event = events_seen();
  trace(TraceKind::check_failed, fiber, 0, 0, &where);
  failure_ = Failure{checker, std::move(message), where, steps_, now_ns_, event};
}

}  // namespace corosim
