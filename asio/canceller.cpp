#include "corosim/asio/canceller.h"

#include <vector>

#include "corosim/asio/context.h"
#include "corosim/runtime/check.h"
#include "corosim/runtime/usage_error.h"

namespace corosim::asio {

ExternalCanceller::ExternalCanceller(net::cancellation_type_t types, std::source_location where)
    : state_(std::make_shared<State>()) {
  Context* context = Context::current();
  if (context == nullptr) {
    throw UsageError(
        "corosim::asio::ExternalCanceller is for simulated runs: declare it inside an asio scenario");
  }
  if (types == net::cancellation_type::none) {
    throw UsageError("corosim::asio::ExternalCanceller: declare at least one cancellation type");
  }
  state_->types = types;
  state_->declared_at = SourceLoc::from(where);
  context->add_canceller(state_);
}

ExternalCanceller::~ExternalCanceller() { state_->alive = false; }

net::cancellation_slot ExternalCanceller::slot() { return state_->signal.slot(); }

net::cancellation_type_t ExternalCanceller::emitted() const noexcept { return state_->emitted; }

void ExternalCanceller::State::consider() {
  // Once; and only while something listens (the bound operation is pending).
  if (!alive || emitted != net::cancellation_type::none || !signal.slot().has_handler()) return;
  corosim::Executor* executor = current_executor();
  if (executor == nullptr || !executor->external_point(declared_at, "asio cancellation slot")) return;
  std::vector<net::cancellation_type_t> declared;
  for (auto type :
       {net::cancellation_type::terminal, net::cancellation_type::partial, net::cancellation_type::total}) {
    if ((types & type) != net::cancellation_type::none) declared.push_back(type);
  }
  emitted = declared.size() == 1 ? declared.front() : declared[corosim::random(declared.size())];
  emitted_at_ns = executor->now_ns();
  signal.emit(emitted);
}

}  // namespace corosim::asio
