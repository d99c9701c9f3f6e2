// Go's context bugs: cancellation that must reach every part of a request,
// written with CancellationToken (context.Context) and choose (select), with
// its fixed twin.
#include <chrono>
#include <optional>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::CancellationToken;
using corosim::Chan;
using corosim::Task;
using namespace std::chrono_literals;

// --- a cancellation that does not reach a blocked worker ----------------------
// A request fans its jobs out to two workers, each under a child token of the
// request's; when the client goes away the request is cancelled and every
// worker must stop before the request is torn down. A worker checks its token
// between jobs but waits for the next job with a plain receive, so a cancel
// that comes while it waits is never seen: the request waits for it forever
// (in Go, a goroutine leaked by a loop that reads a channel without
// `case <-ctx.Done()`). Fixed: the worker waits in a choose that also takes
// the token's cancellation.
Task<void> worker(Chan<int> jobs, CancellationToken token, bool fixed) {
  while (!token.is_cancelled()) {
    if (fixed) {
      auto got = co_await corosim::choose(corosim::recv_from(jobs), corosim::when_cancelled(token));
      if (got.index() == 1 || !std::get<0>(got)) co_return;
    } else {
      std::optional<int> job = co_await jobs.recv();
      if (!job) co_return;
    }
    co_await corosim::sleep_for(1ms);  // the job's work
  }
}

Task<void> cancelled_request(bool fixed) {
  CancellationToken request;
  Chan<int> jobs = corosim::make_chan<int>(0);
  auto first = corosim::spawn(worker(jobs, request.child_token(), fixed));
  auto second = corosim::spawn(worker(jobs, request.child_token(), fixed));
  for (int job = 0; job < 3; ++job) co_await jobs.send(job);
  co_await corosim::sleep_for(std::chrono::milliseconds(corosim::random(3)));
  request.cancel();  // the client went away
  co_await first;
  co_await second;
}

}  // namespace

CORO_SCENARIO("go/context_cancel_unseen", corosim::fails_with(corosim::Checker::deadlock)) {
  co_await cancelled_request(false);
}
CORO_SCENARIO("go/context_cancel_unseen_fixed", corosim::passes()) { co_await cancelled_request(true); }
