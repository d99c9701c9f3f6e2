// corosim::asio::check_cancel_safety (asio/cancel_safety.h): asio operations
// cancelled through a declared slot at each point, judged by asio's contract.
#include <asio/experimental/channel.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "corosim/asio/cancel_safety.h"
#include "corosim/asio/scenario.h"
#include "tests/common/capture.h"
#include "tests/common/sim_helpers.h"

using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_random;
namespace net = corosim::asio::net;

namespace {

using Channel = net::experimental::channel<void(net::error_code, int)>;

// Four values waiting in a channel, and what the operation took.
struct Inbox {
  std::unique_ptr<Channel> channel;
  std::vector<int> received;
};

Inbox make_inbox(const net::any_io_executor& executor) {
  Inbox inbox{std::make_unique<Channel>(executor, 4), {}};
  for (int value = 1; value <= 4; ++value) inbox.channel->try_send(net::error_code{}, value);
  return inbox;
}

std::string describe(const Inbox& inbox) {
  std::string text;
  for (int value : inbox.received) text += std::to_string(value) + " ";
  return text;
}

// Cancel safe: a value is taken only when the receive completes.
net::awaitable<void> receive_one(Inbox& inbox) {
  inbox.received.push_back(co_await inbox.channel->async_receive(net::use_awaitable));
}

// Not cancel safe: the first value lives in this frame until the second comes.
net::awaitable<void> receive_pair(Inbox& inbox) {
  const int first = co_await inbox.channel->async_receive(net::use_awaitable);
  const int second = co_await inbox.channel->async_receive(net::use_awaitable);
  inbox.received.push_back(first);
  inbox.received.push_back(second);
}

corosim::MainFactory checking(corosim::CancelSafety claim, net::awaitable<void> (*operation)(Inbox&),
                              bool with_invariant) {
  return [=]() {
    return corosim::asio::run([=]() -> net::awaitable<void> {
      corosim::asio::CancelSafetySpec<Inbox> spec;
      spec.claim = claim;
      spec.make = make_inbox;
      spec.operation = operation;
      spec.observe = describe;
      if (with_invariant) spec.invariant = [](const Inbox& inbox) { return inbox.received.size() <= 4; };
      co_await corosim::asio::check_cancel_safety(std::move(spec));
    });
  };
}

// The check under sweeps: for each of ten seeds, the plan acts at point k,
// for every k that seed's run reaches (as `--cancel sweep` does).
std::vector<corosim::RunResult> sweep(const corosim::MainFactory& body) {
  std::vector<corosim::RunResult> runs;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    for (std::uint64_t point = 0; point < 16; ++point) {
      corosim::SimOptions options;
      options.cancel = corosim::CancelPlan::at(point, corosim::CancelMode::drop);
      runs.push_back(run_random(body, seed, options));
      if (runs.back().cancel_points <= point + 1) break;  // the last point
    }
  }
  return runs;
}

}  // namespace

TEST_CASE("asio cancel safety: a channel receive is total at every point of a sweep", "[asio]") {
  std::size_t cancelled = 0;
  for (const corosim::RunResult& run : sweep(checking(corosim::CancelSafety::total, receive_one, false))) {
    INFO(message_of(run));
    CHECK(run.passed());
    cancelled += run.injections.size();
  }
  CHECK(cancelled > 0);
}

// Guards the verdict: without the comparison (or without the retry) the
// lost value goes unnoticed.
TEST_CASE("asio cancel safety: a receive that holds a value in its frame fails the check", "[asio]") {
  bool failed = false;
  for (const corosim::RunResult& run : sweep(checking(corosim::CancelSafety::total, receive_pair, false))) {
    if (run.passed()) continue;
    failed = true;
    CHECK(checker_of(run) == "cancel-safety");
    CHECK_THAT(message_of(run), Catch::Contains("claimed total and took a"));
    CHECK_THAT(message_of(run), Catch::Contains("the uncancelled operation leaves \"1 2 \""));
  }
  CHECK(failed);
}

// A partial claim with an invariant: the same operation is within it, and is
// never sent a total cancellation.
TEST_CASE("asio cancel safety: a partial claim is checked against its invariant", "[asio]") {
  std::size_t cancelled = 0;
  for (const corosim::RunResult& run : sweep(checking(corosim::CancelSafety::partial, receive_pair, true))) {
    INFO(message_of(run));
    CHECK(run.passed());
    cancelled += run.injections.size();
  }
  CHECK(cancelled > 0);  // the claim was put to a cancellation
}

// Every asio twin under every strategy and way of exploring cancellation:
// fixed twins pass (the harness never fails a correct asio program) and
// buggy ones fail with their checker. Measured at 1,000 seeds in docs/asio.md.
TEST_CASE("asio twins: fixed pass and buggy fail under every strategy and cancellation", "[asio][cancel]") {
  auto check = [](std::vector<std::string> args) {
    std::vector<std::string> command = {"run", "asio/*", "--quiet"};
    command.insert(command.end(), args.begin(), args.end());
    auto result = corosim::testing::run_cli(command);
    INFO(result.out);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("13 scenario(s): 13 met their expectation, 0 did not"));
  };
  check({"--seeds", "100"});
  for (const char* strategy : {"random", "pct", "dfs", "portfolio", "fifo"}) {
    for (const char* cancel : {"sweep", "random"}) {
      INFO(strategy << " with --cancel " << cancel);
      check({"--strategy", strategy, "--cancel", cancel, "--seeds",
             std::string(cancel) == "sweep" ? "20" : "100"});
    }
  }
}
