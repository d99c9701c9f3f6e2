#include "sim/simulator.h"

#include <cassert>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/detail/root_task.h"
#include "runtime/fiber.h"
#include "runtime/ledger.h"
#include "runtime/spawn.h"
#include "sim/wait_graph.h"

namespace corosim {

Simulator::Simulator(Strategy& strategy, SimOptions options)
    : strategy_(strategy), options_(options) {
  due_timers_.reserve(64);
  deferred_drops_.reserve(16);
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
  cancel_points_ = 0;
  cancel_starts_ = 0;
  cancel_sites_.clear();
  dropped_this_step_ = false;
  injections_.clear();
  armed_sites_.clear();
  strategy_.begin_run(seed);
}

RunResult Simulator::run(const MainFactory& main, std::uint64_t seed) {
  assert(current_executor() == nullptr && "one executor per thread at a time");
  reset(seed);
  detail::set_current(this, nullptr);
  const std::int64_t frames_before = detail::frames_live();
  std::uint32_t fibers_spawned = 0;
  {
    JoinHandle<void> handle =
        detail::start_fiber(detail::await_as_root<void>(main()), SourceLoc{"main", "", 0, 0});
    handle.fiber_record().boundary = false;  // nothing owns main: it is never cancelled
    const Fiber& main_fiber = handle.fiber_record();
    explore(main_fiber);
    check_main(main_fiber);
    check_leaked_fibers(main_fiber);
    if (main_fiber.state == FiberState::done) audit_ledgers();
    if (handle.is_finished() && !main_fiber.dropped) handle.fiber_record().exception_seen = true;
    fibers_spawned = fibers_.spawned();
    fibers_.drop_unfinished();  // step() parks stray fibers, so none is running
    dropped_this_step_ = false;  // the ledgers were audited before teardown
  }  // main's handle is released here, after the others are gone
  end_of_step();
  const std::int64_t frames_left = detail::frames_live() - frames_before;
  if (frames_left != 0 && !failure_) {
    report_failure("leak",
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

  RunResult result;
  result.failure = failure_;
  result.seed = seed;
  result.steps = steps_;
  result.time_ns = now_ns_;
  result.trace_hash = trace_.hash();
  result.fibers = fibers_spawned;
  result.decisions = decisions_;
  result.cancel_points = cancel_points_;
  result.cancel_starts = cancel_starts_;
  result.cancel_sites = cancel_sites_;
  result.injections = injections_;
  return result;
}

void Simulator::explore(const Fiber& main) {
  while (!failure_ && main.state != FiberState::done) {
    fire_due_timers();
    if (ready_.empty()) {
      if (timers_.empty()) {
        report_deadlock();
        return;
      }
      const std::uint64_t next = timers_.next_deadline();
      if (next > options_.time_max_ns) {
        report_failure("budget",
                       absl::StrCat("virtual time budget of ", options_.time_max_ns,
                                    "ns exceeded: the next timer is due at ", next, "ns"),
                       SourceLoc{});
        return;
      }
      now_ns_ = next;
      continue;
    }
    if (steps_ >= options_.steps_max) {
      report_failure("budget",
                     absl::StrCat("step budget of ", options_.steps_max,
                                  " exceeded with fibers still running (livelock or a busy loop?)"),
                     SourceLoc{});
      return;
    }
    step();
  }
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

void Simulator::step() {
  const std::size_t index = ready_.size() > 1 ? decide(DecisionKind::schedule, ready_.size()) : 0;
  Fiber& fiber = ready_.take(index);
  fiber.state = FiberState::running;
  ++steps_;
  detail::set_current_fiber(&fiber);
  trace(TraceKind::resume, &fiber, 0, 0, nullptr);
  if (!fiber.started) on_first_resume(fiber);
  fiber.resume_point.resume();
  detail::set_current_fiber(nullptr);
  if (fiber.state == FiberState::running) report_stray_suspend(fiber);
  end_of_step();
}

// A boundary fiber starts: the target of a pre-cancelled start.
void Simulator::on_first_resume(Fiber& fiber) {
  fiber.started = true;
  if (!fiber.boundary || fiber.shield_depth != 0) return;
  const std::uint64_t start = cancel_starts_++;
  const CancelPlan& plan = options_.cancel;
  if (plan.kind != CancelPlan::Kind::at_point || plan.mode != CancelMode::prestart ||
      plan.point != start) {
    return;
  }
  injections_.push_back(CancelInjection{start, CancelMode::prestart, fiber.spawned_at, fiber.id});
  trace(TraceKind::cancel, &fiber, 0, static_cast<std::uint64_t>(AwaitAction::cancel_stop),
        &fiber.spawned_at);
  detail::fiber_request_stop(fiber);
  fiber.pre_cancelled = true;
}

// The fiber gave control back without parking at a hooked suspension point or
// finishing: an awaiter transferred to a coroutine that is not a corosim Task
// and suspended there, or the compiler lost the coroutine (g++ 12 does, for
// `if (co_await task() == x)`). Nothing will ever wake it; say so and park it
// so that teardown can drop it.
void Simulator::report_stray_suspend(Fiber& fiber) {
  fiber.state = FiberState::waiting;
  report_failure("stray-suspend",
                 absl::StrCat("fiber ", fiber.id,
                              " returned to the scheduler without parking at a corosim "
                              "suspension point or finishing; its last suspension point was ",
                              fiber.suspended_at.str(),
                              ". Awaiting a coroutine type other than corosim::Task, or a "
                              "g++ 12 miscompilation of `if (co_await task() ...)` (bind the "
                              "result to a variable first)?"),
                 fiber.suspended_at);
}

void Simulator::end_of_step() {
  for (Fiber* fiber : deferred_interrupts_) {
    // Still registered with its operand (the primitive may yet wake it: ignored).
    if (fiber->state != FiberState::waiting) continue;
    fiber->state = FiberState::ready;
    fiber->waiting_on = nullptr;
    trace(TraceKind::wake, fiber, kNoFiber, 0, nullptr);
    enqueue(*fiber);
  }
  deferred_interrupts_.clear();
  for (std::size_t i = 0; i < deferred_drops_.size(); ++i) detail::fiber_drop(*deferred_drops_[i]);
  deferred_drops_.clear();
  if (dropped_this_step_) {
    dropped_this_step_ = false;
    audit_ledgers();
  }
  fibers_.free_retired();
}

void Simulator::register_ledger(Ledger& ledger) {
  ledger.ledger_prev = ledgers_tail_;
  ledger.ledger_next = nullptr;
  (ledgers_tail_ != nullptr ? ledgers_tail_->ledger_next : ledgers_head_) = &ledger;
  ledgers_tail_ = &ledger;
  ledger.registered = true;
}

void Simulator::unregister_ledger(Ledger& ledger) {
  (ledger.ledger_prev != nullptr ? ledger.ledger_prev->ledger_next : ledgers_head_) = ledger.ledger_next;
  (ledger.ledger_next != nullptr ? ledger.ledger_next->ledger_prev : ledgers_tail_) = ledger.ledger_prev;
  ledger.ledger_prev = ledger.ledger_next = nullptr;
  ledger.registered = false;
}

void Simulator::forget_ledgers() {
  while (ledgers_head_ != nullptr) unregister_ledger(*ledgers_head_);
}

// Audits every live primitive's ledger, in creation order; the first
// imbalance fails the run.
void Simulator::audit_ledgers() {
  if (failure_ || ledgers_head_ == nullptr) return;
  std::vector<bool> alive(fibers_.spawned(), false);
  for (const Fiber* fiber = fibers_.first_alive(); fiber != nullptr; fiber = fiber->alive_next) {
    if (fiber->state != FiberState::done) alive[fiber->id] = true;
  }
  const Ledger::FiberAlive is_alive = [&alive](std::uint32_t id) {
    return id < alive.size() && alive[id];
  };
  std::string violation;
  for (const Ledger* ledger = ledgers_head_; ledger != nullptr; ledger = ledger->ledger_next) {
    ledger->audit(is_alive, violation);
    if (violation.empty()) continue;
    report_failure("ledger", violation + " (created at " + ledger->created_at().str() + ")",
                   ledger->created_at());
    return;
  }
}

void Simulator::check_main(const Fiber& main) {
  if (failure_ || main.state != FiberState::done) return;
  std::exception_ptr error = detail::fiber_exception(main);
  if (!error) return;
  report_failure("escaped-exception",
                 "main threw " + detail::describe_exception(error) + " and nobody caught it",
                 main.suspended_at);
}

void Simulator::check_leaked_fibers(const Fiber& main) {
  if (failure_ || main.state != FiberState::done) return;
  std::string message;
  SourceLoc first;
  std::size_t leaked = 0;
  for (Fiber* fiber = fibers_.first_alive(); fiber != nullptr; fiber = fiber->alive_next) {
    if (fiber->state == FiberState::done) continue;
    if (leaked++ == 0) first = fiber->spawned_at;
    absl::StrAppend(&message, "\n  ", describe_blocked_fiber(*fiber));
  }
  if (leaked == 0) return;
  report_failure("leak", absl::StrCat(leaked, " fiber(s) still alive when main returned:", message),
                 first);
}

void Simulator::report_deadlock() {
  WaitGraphReport report = describe_wait_graph(fibers_.first_alive(), fibers_.spawned());
  report_failure("deadlock", std::move(report.message), report.location);
}

Fiber& Simulator::create_fiber(const SourceLoc& spawned_at) {
  Fiber& fiber = fibers_.create(*this, spawned_at);
  const Fiber* parent = current_fiber();
  trace(TraceKind::spawn, &fiber, parent != nullptr ? parent->id : kNoFiber, 0, &spawned_at);
  return fiber;
}

void Simulator::enqueue(Fiber& fiber) { ready_.push(fiber); }
void Simulator::dequeue(Fiber& fiber) { ready_.remove(fiber); }
void Simulator::defer_drop(Fiber& fiber) { deferred_drops_.push_back(&fiber); }
void Simulator::defer_interrupt(Fiber& fiber) { deferred_interrupts_.push_back(&fiber); }
void Simulator::retire(Fiber& fiber) { fibers_.retire(fiber); }

AwaitAction Simulator::before_await(Fiber& fiber, const SourceLoc& where) {
  if (fiber.pre_cancelled && fiber.shield_depth == 0) {
    fiber.pre_cancelled = false;
    return AwaitAction::cancel_stop;  // the first (unshielded) point of a pre-cancelled fiber
  }
  if (fiber.boundary && fiber.shield_depth == 0) {
    const std::uint64_t point = cancel_points_++;
    if (options_.record_cancel_sites && cancel_sites_.size() < kSitesMax) {
      cancel_sites_.push_back(where);
    }
    if (std::optional<CancelMode> mode = cancel_here(point, where)) {
      injections_.push_back(CancelInjection{point, *mode, where, fiber.id});
      return cancel_action(*mode);
    }
  }
  // Parking first only matters when someone else could run meanwhile.
  if (ready_.empty()) return AwaitAction::proceed;
  return decide(DecisionKind::yield, 2) == 1 ? AwaitAction::suspend_first : AwaitAction::proceed;
}

void Simulator::arm_timer(TimerNode& node) { timers_.arm(node); }
void Simulator::cancel_timer(TimerNode& node) { timers_.cancel(node); }

std::uint64_t Simulator::random_below(std::uint64_t bound) {
  return bound > 1 ? decide(DecisionKind::random, bound) : 0;
}

std::optional<CancelMode> Simulator::cancel_here(std::uint64_t point, const SourceLoc& where) {
  const CancelPlan& plan = options_.cancel;
  switch (plan.kind) {
    case CancelPlan::Kind::none:
      return std::nullopt;
    case CancelPlan::Kind::at_point:
      if (plan.mode == CancelMode::prestart) return std::nullopt;  // acts at starts, not points
      if (point == plan.point) return plan.mode;
      return std::nullopt;
    case CancelPlan::Kind::random: {
      assert(!plan.modes.empty());
      auto [site, first_visit] = armed_sites_.try_emplace(where.stable_hash(), false);
      if (first_visit) site->second = decide(DecisionKind::cancel_arm, 2) == 1;
      if (!site->second || decide(DecisionKind::cancel_fire, 2) == 0) return std::nullopt;
      if (plan.modes.size() == 1) return plan.modes.front();
      return plan.modes[decide(DecisionKind::cancel_mode, plan.modes.size())];
    }
  }
  return std::nullopt;
}

std::uint64_t Simulator::decide(DecisionKind kind, std::uint64_t n) {
  const std::uint64_t value = strategy_.choose(kind, n);
  assert(value < n && "a strategy chose out of range");
  decisions_.push_back(Decision{kind, n, value});
  return value;
}

void Simulator::trace(TraceKind kind, const Fiber* fiber, std::uint32_t arg, std::uint64_t value,
                      const SourceLoc* where) {
  if (kind == TraceKind::drop) dropped_this_step_ = true;
  const bool at_await = kind == TraceKind::suspend || kind == TraceKind::yield ||
                        kind == TraceKind::drop || kind == TraceKind::cancel;
  trace_.add(kind, fiber != nullptr ? fiber->id : kNoFiber, arg, value, now_ns_, where,
             at_await && fiber != nullptr ? fiber->waiting_what : "");
}

void Simulator::report_failure(std::string checker, std::string message, const SourceLoc& where) {
  if (failure_) return;
  const Fiber* fiber = current_fiber();
  trace(TraceKind::check_failed, fiber, 0, 0, &where);
  failure_ = Failure{std::move(checker), std::move(message), where, steps_, now_ns_};
}

}  // namespace corosim
