#include "corosim/runtime/once_cell.h"

#include "corosim/runtime/detail/object_id.h"
#include "corosim/runtime/usage_error.h"

namespace corosim::detail {

OnceState::OnceState(const SourceLoc& created_at) : Ledger(created_at), id_(new_object_id()) {}

OnceState::Claim::Claim(OnceState& state) : state_(state) {
  state_.initializer_ = running_fiber("oncecell.get_or_init").id;
}

void OnceState::release() {
  initializer_ = kNoFiber;
  // Set, every waiter has its value; failed, they race to initialise anew.
  waiters_.wake_all();
}

void OnceState::TurnAwaiter::await_suspend(std::coroutine_handle<>) {
  state_.waiters_.push_back(node_, running_fiber(corosim_what));
  set_waiting_on(&state_);
}

void OnceState::describe(std::string& out) const {
  out += "oncecell#" + std::to_string(id_);
  if (busy()) {
    out += " (being initialised by fiber " + std::to_string(initializer_) + ")";
  } else {
    out += has_value() ? " (set)" : " (empty)";
  }
}

void OnceState::audit(const FiberAlive&, std::string& out) const {
  if (busy() || waiters_.empty()) return;
  describe(out);
  out += ", but fiber " + std::to_string(waiters_.front()->fiber->id) +
         " still waits for it to be initialised: a lost wake-up";
}

}  // namespace corosim::detail
