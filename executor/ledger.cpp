#include "corosim/executor/ledger.h"

namespace corosim {

Ledger::Ledger(const SourceLoc& created_at) : created_at_(created_at), executor_(current_executor()) {
  if (executor_ != nullptr) executor_->register_ledger(*this);
}

Ledger::~Ledger() {
  // A primitive that outlives its run (a static) was forgotten at the run's
  // end and must not touch the executor, which may be gone.
  if (registered) executor_->unregister_ledger(*this);
}

}  // namespace corosim
