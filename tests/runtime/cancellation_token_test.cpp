// CancellationToken: the program's own cancellation, passed down a tree of
// tokens, observed by waiting, racing or choosing — and explored by the
// simulator as a canceller of the operations it races.
#include "corosim/runtime/cancellation_token.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/sim/simulator.h"
#include "tests/common/cancel_table.h"
#include "tests/common/sim_helpers.h"
#include "tests/common/sweep.h"

using corosim::CancellationToken;
using corosim::CancelReason;
using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::DropFlag;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using namespace std::chrono_literals;

TEST_CASE("cancelling a token cancels its descendants and never its parent", "[token]") {
  auto result = run_fifo([&]() -> Task<void> {
    CancellationToken root;
    auto child = root.child_token();
    auto grandchild = child.child_token();
    auto sibling = root.child_token();
    child.cancel();
    CORO_CHECK(child.is_cancelled() && grandchild.is_cancelled());
    CORO_CHECK(!root.is_cancelled() && !sibling.is_cancelled());
    CORO_CHECK(grandchild.reason() == CancelReason::cancelled);
    root.cancel();
    CORO_CHECK(sibling.is_cancelled());
    CORO_CHECK(root.child_token().is_cancelled());  // born under a cancelled parent
    co_return;
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("cancelled() parks until the token or an ancestor is cancelled", "[token]") {
  std::vector<std::string> order;
  auto result = run_fifo([&]() -> Task<void> {
    CancellationToken root;
    auto child = root.child_token();
    auto waiter = corosim::spawn([&]() -> Task<void> {
      co_await child.cancelled();
      order.push_back("woken");
    });
    co_await corosim::sleep_for(1ms);
    order.push_back("cancel");
    root.cancel();
    co_await waiter;
    co_await child.cancelled();  // already cancelled: at once
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(order == std::vector<std::string>{"cancel", "woken"});
}

TEST_CASE("a deadline of the token or of an ancestor cancels it as deadline exceeded", "[token]") {
  auto result = run_fifo([&]() -> Task<void> {
    CancellationToken root;
    auto request = root.child_with_timeout(5ms);
    auto step = request.child_with_timeout(1h);  // the parent's 5ms applies
    CORO_CHECK(step.deadline() == std::optional<corosim::Duration>(5ms));
    co_await step.cancelled();
    CORO_CHECK(corosim::now() == 5ms);
    CORO_CHECK(step.reason() == CancelReason::deadline_exceeded);
    CORO_CHECK(request.reason() == CancelReason::deadline_exceeded);
    CORO_CHECK(!root.is_cancelled());
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("run_until_cancelled returns the operation's value or drops it when the token wins", "[token]") {
  bool dropped = false;
  auto result = run_fifo([&]() -> Task<void> {
    CancellationToken token;
    auto quick = co_await corosim::run_until_cancelled(token, []() -> Task<int> { co_return 7; }());
    CORO_CHECK(quick == std::optional<int>(7));
    auto canceller = corosim::spawn([token]() -> Task<void> {
      co_await corosim::sleep_for(1ms);
      token.cancel();
    });
    const bool finished = co_await corosim::run_until_cancelled(token, [&]() -> Task<void> {
      DropFlag flag(&dropped);
      co_await corosim::sleep_for(1h);
    }());
    CORO_CHECK(!finished && corosim::now() == 1ms);
    co_await canceller;
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(dropped);
}

TEST_CASE("choose with when_cancelled wakes on the cancel and on the token's deadline", "[token][choose]") {
  auto result = run_fifo([&]() -> Task<void> {
    auto jobs = corosim::make_chan<int>(0);
    CancellationToken token;
    auto canceller = corosim::spawn([token]() -> Task<void> {
      co_await corosim::sleep_for(2ms);
      token.cancel();
    });
    auto got = co_await corosim::choose(corosim::recv_from(jobs), corosim::when_cancelled(token));
    CORO_CHECK(got.index() == 1 && corosim::now() == 2ms);
    auto timed = CancellationToken().child_with_timeout(3ms);
    auto late = co_await corosim::choose(corosim::recv_from(jobs), corosim::when_cancelled(timed),
                                         corosim::after(10ms));
    CORO_CHECK(late.index() == 1 && corosim::now() == 5ms);
    co_await canceller;
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("a fiber waiting on a token nobody cancels is a deadlock naming the token", "[token][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    CancellationToken token;
    co_await token.cancelled();
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result), Catch::Contains("token.cancelled on token#0"));
}

namespace {
// A worker writes a record in two halves under run_until_cancelled; the
// program cancels its token later. Only a cancellation landing between the
// halves tears the record — a point the simulator must find by holding the
// worker there while the program's own cancel() comes.
// With a deadline instead, nobody calls cancel(): the simulator brings the
// deadline forward while the worker is held, and the token is then cancelled
// as its deadline would (never a dropped worker with a live token).
Task<void> torn_record(bool deadline) {
  CancellationToken token = deadline ? CancellationToken().child_with_timeout(10ms) : CancellationToken();
  int halves = 0;
  auto canceller = corosim::spawn([token, deadline]() -> Task<void> {
    co_await corosim::sleep_for(10ms);
    if (!deadline) token.cancel();
  });
  const bool finished = co_await corosim::run_until_cancelled(token, [&]() -> Task<void> {
    ++halves;
    co_await corosim::sleep_for(1ms);
    ++halves;
  }());
  CORO_CHECK_MSG(finished || token.is_cancelled(), "the worker was dropped for a token nobody cancelled");
  CORO_CHECK_MSG(finished || !deadline || token.reason() == corosim::CancelReason::deadline_exceeded,
                 "a deadline cancelled the token for another reason");
  CORO_CHECK_MSG(halves != 1, "the record was torn");
  co_await canceller;
}

corosim::RunResult run_with_plan(corosim::CancelPlan plan, bool deadline) {
  corosim::FifoStrategy strategy;
  corosim::SimOptions options;
  options.cancel = std::move(plan);
  corosim::Simulator simulator(strategy, options);
  return simulator.run([deadline] { return torn_record(deadline); }, 0);
}
}  // namespace

TEST_CASE("a token's cancel or deadline lands where the simulator holds the operation it races",
          "[token][cancel]") {
  const bool deadline = GENERATE(false, true);
  INFO((deadline ? "deadline" : "cancel()"));
  auto plain = run_with_plan(corosim::CancelPlan{}, deadline);
  INFO(message_of(plain));
  REQUIRE(plain.passed());  // without exploration the cancel comes after the record
  REQUIRE(plain.cancel_points >= 1);
  // Exactly one point tears it: the worker's sleep between the halves.
  int torn = 0;
  for (std::uint64_t point = 0; point < plain.cancel_points; ++point) {
    auto held = run_with_plan(corosim::CancelPlan::at(point, corosim::CancelMode::drop), deadline);
    INFO("point " << point << ": " << message_of(held));
    if (held.passed()) continue;
    ++torn;
    REQUIRE_THAT(message_of(held), Catch::Contains("torn"));
    REQUIRE(held.injections.size() == 1);
    CHECK(held.injections[0].landed);
    CHECK(held.injections[0].canceller == corosim::Canceller::token);
  }
  REQUIRE(torn == 1);
}

namespace {
// Workers cancellable from outside wait on a token tree, by cancelled() and by
// choose; the program cancels the root after 2ms. Every waiter left must
// have been woken.
Task<void> token_waiters() {
  CancellationToken root;
  auto jobs = corosim::make_chan<int>(0);
  auto waiting = corosim::spawn([child = root.child_token()]() -> Task<void> {
                   co_await child.cancelled();
                 }).externally_cancellable();
  auto choosing = corosim::spawn([&jobs, child = root.child_with_timeout(1h)]() -> Task<void> {
                    co_await corosim::choose(corosim::recv_from(jobs), corosim::when_cancelled(child));
                  }).externally_cancellable();
  co_await corosim::sleep_for(2ms);
  root.cancel();
  co_await corosim::sleep_for(1ms);
  CORO_CHECK(waiting.is_finished() && choosing.is_finished());
}
}  // namespace

TEST_CASE("CancellationToken's ledger balances whenever its waiters are cancelled", "[token][ledger]") {
  corosim::testing::require_sweeps_pass(token_waiters);
}

namespace {
struct TokenState {
  CancellationToken token;
  corosim::JoinHandle<void> canceller;
  int returned = 0;
};
}  // namespace

TEST_CASE("cancel-safety table: CancellationToken::cancelled", "[cancel_safety][table][token]") {
  using corosim::testing::classify;
  constexpr corosim::CancelSafety kTotal = corosim::CancelSafety::total;
  corosim::testing::require_classes(
      classify<TokenState>([] {
        corosim::CancelSafetySpec<TokenState> spec;
        spec.make = [] {
          TokenState state;
          state.canceller = corosim::testing::after_1ms([token = state.token] { token.cancel(); });
          return state;
        };
        spec.operation = [](TokenState& state) -> Task<void> {
          co_await state.token.cancelled();
          ++state.returned;
        };
        spec.observe = [](const TokenState& state) {
          return std::to_string(state.returned) + (state.token.is_cancelled() ? " cancelled" : "");
        };
        return spec;
      }),
      kTotal, kTotal, kTotal, kTotal);
}
