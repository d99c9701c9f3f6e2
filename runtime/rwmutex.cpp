#include "corosim/runtime/rwmutex.h"

#include <algorithm>
#include <cassert>

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

namespace {

// Trace value of a hold: 1 write, 2 read (a plain Mutex's events carry 0).
std::uint64_t trace_value(RWMutex::Mode mode) { return mode == RWMutex::Mode::write ? 1 : 2; }

void append_fibers(const char* one, const std::vector<std::uint32_t>& ids, std::string& out) {
  out += one;
  if (ids.size() > 1) out += "s";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    out += i == 0 ? " " : ", ";
    out += std::to_string(ids[i]);
  }
}

}  // namespace

RWMutex::RWMutex(std::source_location created_at)
    : Ledger(SourceLoc::from(created_at)), id_(detail::new_object_id()) {}

bool RWMutex::admits(Mode mode) const noexcept {
  if (mode == Mode::write) return writer_ == kFree && readers_.empty();
  return writer_ == kFree;
}

void RWMutex::grant(Mode mode, const Fiber* fiber) {
  const std::uint32_t id = fiber != nullptr ? fiber->id : kNoFiber;
  if (mode == Mode::write) {
    writer_ = id;
  } else {
    readers_.push_back(id);
  }
  if (fiber != nullptr) fiber->executor->trace(TraceKind::mutex_acquire, fiber, id_, trace_value(mode));
}

std::optional<RWMutex::ReadGuard> RWMutex::try_read() {
  if (!waiters_.empty() || !admits(Mode::read)) return std::nullopt;
  const Fiber* fiber = current_fiber();
  grant(Mode::read, fiber);
  return ReadGuard(*this, fiber != nullptr ? fiber->id : kNoFiber, true);  // moved into the optional
}

std::optional<RWMutex::WriteGuard> RWMutex::try_write() {
  if (!waiters_.empty() || !admits(Mode::write)) return std::nullopt;
  const Fiber* fiber = current_fiber();
  grant(Mode::write, fiber);
  return WriteGuard(*this, fiber != nullptr ? fiber->id : kNoFiber, true);  // moved into the optional
}

void RWMutex::release(Mode mode, std::uint32_t holder, bool guarded) {
  detail::trace_current(TraceKind::mutex_release, id_, trace_value(mode));
  if (guarded) --guards_;
  if (mode == Mode::write) {
    assert(writer_ != kFree && "write release of an rwmutex that is not write-locked");
    writer_ = kFree;
  } else {
    // The latest hold of this fiber: holds are interchangeable, and the
    // remaining order stays the grant order.
    const auto it = std::find(readers_.rbegin(), readers_.rend(), holder);
    assert(it != readers_.rend() && "read release of an rwmutex that this fiber does not read-lock");
    readers_.erase(std::next(it).base());
  }
  serve_waiters();
}

// Admits waiters from the head, in order: a writer alone, or every reader up
// to the next writer.
void RWMutex::serve_waiters() {
  while (!waiters_.empty()) {
    auto& waiter = *static_cast<Waiter*>(waiters_.front()->owner);
    if (!admits(waiter.mode_)) return;
    waiters_.pop_front();
    Fiber& fiber = *waiter.node_.fiber;
    waiter.granted_ = true;
    waiter.holder_ = fiber.id;
    ++in_flight_;
    grant(waiter.mode_, &fiber);
    detail::fiber_wake(fiber);
    if (waiter.mode_ == Mode::write) return;
  }
}

void RWMutex::describe(std::string& out) const {
  out += "rwmutex#";
  out += std::to_string(id_);
  if (writer_ != kFree) {
    out += " (write-locked by fiber " + std::to_string(writer_) + ")";
  } else if (!readers_.empty()) {
    append_fibers(" (read-locked by fiber", readers_, out);
    out += ")";
  }
}

void RWMutex::audit(const FiberAlive&, std::string& out) const {
  const std::uint64_t holds = readers_.size() + (writer_ != kFree ? 1 : 0);
  if (holds != guards_ + in_flight_) {
    describe(out);
    out += " has " + std::to_string(holds) + " hold(s) but " + std::to_string(guards_) + " guard(s) and " +
           std::to_string(in_flight_) + " waiter(s) about to take one: a lock was granted and never released";
    return;
  }
  if (!waiters_.empty() && admits(static_cast<const Waiter*>(waiters_.front()->owner)->mode_)) {
    describe(out);
    out += " could admit the fiber at the head of its queue, but that fiber still waits: a lost wake-up";
  }
}

RWMutex::Waiter::~Waiter() {
  if (node_.list != nullptr) {
    detail::unlink_if_queued(node_);
    mutex_.serve_waiters();  // a writer leaving may make the readers behind it due
  }
  if (granted_ && !taken_) {
    --mutex_.in_flight_;
    mutex_.release(mode_, holder_, false);  // dropped after the hand-off: pass it on
  }
}

bool RWMutex::Waiter::ready() {
  if (!mutex_.waiters_.empty() || !mutex_.admits(mode_)) return false;
  const Fiber* fiber = current_fiber();
  granted_ = true;
  holder_ = fiber != nullptr ? fiber->id : kNoFiber;
  ++mutex_.in_flight_;
  mutex_.grant(mode_, fiber);
  return true;
}

void RWMutex::Waiter::suspend(const char* what) {
  node_.owner = this;
  mutex_.waiters_.push_back(node_, detail::running_fiber(what));
  detail::set_waiting_on(this);
}

void RWMutex::Waiter::describe(std::string& out) const {
  mutex_.describe(out);
  std::vector<std::uint32_t> writers_ahead;
  for (const detail::WaiterNode* node = mutex_.waiters_.front(); node != &node_ && node != nullptr;
       node = node->next) {
    if (static_cast<const Waiter*>(node->owner)->mode_ == Mode::write)
      writers_ahead.push_back(node->fiber->id);
  }
  if (writers_ahead.empty()) return;
  append_fibers(", queued behind writer fiber", writers_ahead, out);
}

void RWMutex::Waiter::holder_ids(std::vector<std::uint32_t>& out) const {
  if (mutex_.writer_ != kFree) {
    out.push_back(static_cast<std::uint32_t>(mutex_.writer_));
  } else if (mode_ == Mode::write) {
    for (const std::uint32_t reader : mutex_.readers_) {
      if (std::find(out.begin(), out.end(), reader) == out.end()) out.push_back(reader);
    }
  }
  for (const detail::WaiterNode* node = mutex_.waiters_.front(); node != &node_ && node != nullptr;
       node = node->next) {
    if (mode_ == Mode::write || static_cast<const Waiter*>(node->owner)->mode_ == Mode::write) {
      out.push_back(node->fiber->id);
    }
  }
}

}  // namespace corosim
