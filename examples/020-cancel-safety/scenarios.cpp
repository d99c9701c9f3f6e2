// Example 020: is a transfer cancel safe? check_cancel_safety runs it once
// uncancelled, then again cancelled at a point the sweep chooses (every
// point, in every mode, over the seeds) and retried; the claim "total" says
// both must leave the same state.
#include <chrono>
#include <string>

#include <corosim/runtime/corosim.h>
#include <corosim/cli/cli.h>
#include <corosim/scenarios/registry.h>

namespace {

struct Accounts {
  int from = 100;
  int to = 0;
};

corosim::CancelSafetySpec<Accounts> spec_of(corosim::Task<void> (*transfer)(Accounts&)) {
  corosim::CancelSafetySpec<Accounts> spec;
  spec.claim = corosim::CancelSafety::total;
  spec.make = [] { return Accounts{}; };
  spec.operation = transfer;
  spec.observe = [](const Accounts& a) { return std::to_string(a.from) + "/" + std::to_string(a.to); };
  return spec;
}

// Money leaves before the await and arrives after it: cancelled in between, it is lost.
corosim::Task<void> split_transfer(Accounts& a) {
  a.from -= 10;
  co_await corosim::sleep_for(std::chrono::milliseconds(1));
  a.to += 10;
}

// The await first, then both updates in one step: nothing to lose.
corosim::Task<void> atomic_transfer(Accounts& a) {
  co_await corosim::sleep_for(std::chrono::milliseconds(1));
  a.from -= 10;
  a.to += 10;
}

}  // namespace

CORO_SCENARIO("transfer/split", corosim::fails_with(corosim::Checker::cancel_safety)) {
  co_await corosim::check_cancel_safety(spec_of(split_transfer));
}

CORO_SCENARIO("transfer/atomic", corosim::passes()) {
  co_await corosim::check_cancel_safety(spec_of(atomic_transfer));
}

int main(int argc, char** argv) { return corosim::main(argc, argv); }
