#include "corosim/runtime/event.h"

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim {

Event::Event() : id_(detail::new_object_id()) {}

void Event::set() {
  if (set_) return;
  set_ = true;
  detail::trace_current(TraceKind::event_set, id_);
  waiters_.wake_all();
}

void Event::describe(std::string& out) const {
  out += "event#";
  out += std::to_string(id_);
}

void Event::WaitAwaiter::await_suspend(std::coroutine_handle<>) {
  event_.waiters_.push_back(node_, detail::running_fiber("event wait"));
  detail::set_waiting_on(&event_);
}

}  // namespace corosim
