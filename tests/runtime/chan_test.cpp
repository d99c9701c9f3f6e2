// Chan (Go's channel) and choose (Go's select over channel operations).
#include "corosim/runtime/chan.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "corosim/runtime/choose.h"
#include "corosim/runtime/corosim.h"
#include "tests/common/cancel_table.h"
#include "tests/common/sim_helpers.h"

using corosim::Chan;
using corosim::Task;
using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_fifo;
using corosim::testing::run_random;
using namespace std::chrono_literals;

TEST_CASE("an unbuffered send completes only when a receiver takes the value", "[chan]") {
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> ch = corosim::make_chan<int>();
    CORO_CHECK(!ch.try_send(1));  // nobody receives: it would wait
    auto sender = corosim::spawn([ch]() -> Task<bool> { co_return co_await ch.send(7); });
    co_await corosim::sleep_for(1ms);
    CORO_CHECK(!sender.is_finished());  // no buffer: still waiting for a receiver
    CORO_CHECK(ch.size() == 0);
    auto got = co_await ch.recv();
    CORO_CHECK(got == 7);
    CORO_CHECK(co_await sender);
    CORO_CHECK(ch.sent() == 1 && ch.received() == 1);
  });
  REQUIRE(result.passed());
}

TEST_CASE("a send to a waiting receiver hands the value over and so does try_send", "[chan]") {
  std::vector<int> got;
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> ch = corosim::make_chan<int>();
    auto receiver = corosim::spawn([ch, &got]() -> Task<void> {
      got.push_back(*co_await ch.recv());
      got.push_back(*co_await ch.recv());
    });
    co_await corosim::yield_now();
    CORO_CHECK(co_await ch.send(1));  // the receiver waits: completes without parking
    co_await corosim::yield_now();
    // Go's non-blocking send (select with a default) succeeds when a receiver waits.
    CORO_CHECK(ch.try_send(2));
    co_await receiver;
  });
  REQUIRE(result.passed());
  REQUIRE(got == std::vector<int>{1, 2});
}

TEST_CASE("a buffered chan serves parked senders in order as slots free", "[chan]") {
  std::vector<int> got;
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> ch = corosim::make_chan<int>(1);
    CORO_CHECK(co_await ch.send(1));
    auto second = corosim::spawn([ch]() -> Task<bool> { co_return co_await ch.send(2); });
    auto third = corosim::spawn([ch]() -> Task<bool> { co_return co_await ch.send(3); });
    co_await corosim::yield_now();
    CORO_CHECK(ch.size() == 1 && ch.capacity() == 1);
    for (int i = 0; i < 3; ++i) got.push_back(*co_await ch.recv());
    CORO_CHECK(co_await second);
    CORO_CHECK(co_await third);
  });
  REQUIRE(result.passed());
  REQUIRE(got == std::vector<int>{1, 2, 3});
}

TEST_CASE("many producers and consumers share a chan: each value is received once", "[chan]") {
  for (std::size_t capacity : {0, 1, 3}) {
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
      std::multiset<int> got;
      auto result = run_random(
          [&]() -> Task<void> {
            Chan<int> ch = corosim::make_chan<int>(capacity);
            corosim::TaskScope consumers;
            for (int c = 0; c < 3; ++c) {
              consumers.spawn([ch, &got]() -> Task<void> {
                while (auto value = co_await ch.recv()) got.insert(*value);
              });
            }
            corosim::TaskScope producers;
            for (int p = 0; p < 3; ++p) {
              producers.spawn([ch, p]() -> Task<void> {
                for (int i = 0; i < 4; ++i) CORO_CHECK(co_await ch.send(p * 10 + i));
              });
            }
            co_await producers.join();
            ch.close();
            co_await consumers.join();
          },
          seed);
      INFO("capacity " << capacity << " seed " << seed << ": " << message_of(result));
      REQUIRE(result.passed());
      REQUIRE(got.size() == 12);
      REQUIRE(std::set<int>(got.begin(), got.end()).size() == 12);
    }
  }
}

TEST_CASE("close lets receivers drain and then ends every parked operation", "[chan]") {
  std::vector<int> got;
  bool waiting_receiver_ended = false;
  bool waiting_sender_result = true;
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> buffered = corosim::make_chan<int>(2);
    co_await buffered.send(1);
    co_await buffered.send(2);
    auto blocked_sender = corosim::spawn([buffered]() -> Task<bool> { co_return co_await buffered.send(3); });
    Chan<int> empty = corosim::make_chan<int>();
    auto blocked_receiver = corosim::spawn([empty, &waiting_receiver_ended]() -> Task<void> {
      waiting_receiver_ended = !(co_await empty.recv()).has_value();
    });
    co_await corosim::yield_now();
    buffered.close();
    empty.close();
    waiting_sender_result = co_await blocked_sender;
    co_await blocked_receiver;
    CORO_CHECK(!(co_await buffered.send(4)));
    CORO_CHECK(!buffered.try_send(4));
    while (auto value = co_await buffered.recv()) got.push_back(*value);
    CORO_CHECK(buffered.closed());
  });
  REQUIRE(result.passed());
  REQUIRE(got == std::vector<int>{1, 2});
  REQUIRE(waiting_receiver_ended);
  REQUIRE(!waiting_sender_result);
}

TEST_CASE("closing a closed chan fails the run where it happens", "[chan]") {
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> ch = corosim::make_chan<int>();
    ch.close();
    ch.close();
    co_return;
  });
  REQUIRE(checker_of(result) == "escaped-exception");
  REQUIRE_THAT(message_of(result), Catch::Contains("close of a closed chan#"));
}

TEST_CASE("a nil chan is a usage error outside choose", "[chan]") {
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> nil;
    CORO_CHECK(nil.nil());
    co_await nil.recv();
  });
  REQUIRE(checker_of(result) == "escaped-exception");
  REQUIRE_THAT(message_of(result), Catch::Contains("Chan::recv on a nil channel"));
}

TEST_CASE("a value handed to a receiver cancelled before it resumes goes to the next", "[chan][drop]") {
  std::vector<int> got;
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> ch = corosim::make_chan<int>();
    auto first = corosim::spawn([ch, &got]() -> Task<void> { got.push_back(100 + *co_await ch.recv()); });
    auto second = corosim::spawn([ch, &got]() -> Task<void> { got.push_back(200 + *co_await ch.recv()); });
    co_await corosim::yield_now();
    CORO_CHECK(ch.try_send(1));  // handed to the first receiver
    first.cancel();              // dropped before it resumed
    co_await second;
    CORO_CHECK(ch.sent() == 1 && ch.received() == 1);
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(got == std::vector<int>{201});
}

TEST_CASE("a value given back with nobody waiting stays at the front", "[chan][drop]") {
  std::vector<int> got;
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> ch = corosim::make_chan<int>(1);
    auto first = corosim::spawn([ch]() -> Task<void> { co_await ch.recv(); });
    co_await corosim::yield_now();
    CORO_CHECK(ch.try_send(1));  // handed to the waiting receiver
    CORO_CHECK(ch.try_send(2));  // buffered: the handed value took no slot
    first.cancel();              // the 1 comes back, ahead of the 2
    CORO_CHECK(ch.size() == 2);
    CORO_CHECK(!ch.try_send(3));  // the given-back value is beyond the capacity, not in it
    got.push_back(*co_await ch.recv());
    got.push_back(*co_await ch.recv());
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
  REQUIRE(got == std::vector<int>{1, 2});
}

TEST_CASE("an unbuffered send nobody receives is a deadlock naming the chan", "[chan][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> ch = corosim::make_chan<int>();
    co_await ch.send(1);
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result), Catch::Contains("chan.send") && Catch::Contains("chan#"));
}

TEST_CASE("a receiver stuck on a chan waits for its last sender in the wait-for graph", "[chan][deadlock]") {
  // Main fed the worker, then joins it without closing the channel.
  auto stuck = run_fifo([&]() -> Task<void> {
    Chan<int> jobs = corosim::make_chan<int>(4);
    auto worker = corosim::spawn([jobs]() -> Task<void> {
      while (auto job = co_await jobs.recv()) {
      }
    });
    co_await jobs.send(1);
    co_await worker;
  });
  INFO(message_of(stuck));
  REQUIRE(checker_of(stuck) == "deadlock");
  REQUIRE_THAT(message_of(stuck),
               Catch::Contains("cycle: fiber 0 -> fiber 1 -> fiber 1 -> chan#0 -> fiber 0"));

  // The same wait while another fiber will send: any holder of the channel
  // may, so the cycle through it is no deadlock while that fiber runs.
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    auto fed_later = run_random(
        [&]() -> Task<void> {
          Chan<int> jobs = corosim::make_chan<int>(4);
          auto worker = corosim::spawn([jobs]() -> Task<void> {
            while (auto job = co_await jobs.recv()) {
            }
          });
          auto closer = corosim::spawn([jobs]() -> Task<void> {
            co_await corosim::sleep_for(1ms);
            jobs.close();
          });
          co_await jobs.send(1);
          co_await worker;
          co_await closer;
        },
        seed);
    INFO("seed " << seed << ": " << message_of(fed_later));
    REQUIRE(fed_later.passed());
  }
}

TEST_CASE("choose completes one ready case chosen by the executor", "[chan][choose]") {
  std::set<std::size_t> winners;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    auto result = run_random(
        [&]() -> Task<void> {
          Chan<int> a = corosim::make_chan<int>(1);
          Chan<int> b = corosim::make_chan<int>(1);
          co_await a.send(1);
          co_await b.send(2);
          auto got = co_await corosim::choose(corosim::recv_from(a), corosim::recv_from(b));
          winners.insert(got.index());
          // The other case left its channel alone.
          CORO_CHECK(a.size() + b.size() == 1);
          CORO_CHECK(a.received() + b.received() == 1);
        },
        seed);
    REQUIRE(result.passed());
  }
  REQUIRE(winners == std::set<std::size_t>{0, 1});
}

TEST_CASE("choose takes otherwise only when no case is ready", "[chan][choose]") {
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> ch = corosim::make_chan<int>(1);
    auto nothing = co_await corosim::choose(corosim::recv_from(ch), corosim::otherwise());
    CORO_CHECK(nothing.index() == 1);
    co_await ch.send(5);
    auto something = co_await corosim::choose(corosim::recv_from(ch), corosim::otherwise());
    CORO_CHECK(something.index() == 0 && std::get<0>(something) == 5);
    // Go's non-blocking send: a full chan takes nothing.
    auto room = co_await corosim::choose(corosim::send_to(ch, 6), corosim::otherwise());
    CORO_CHECK(room.index() == 0 && std::get<0>(room) && ch.size() == 1);
    auto full = co_await corosim::choose(corosim::send_to(ch, 7), corosim::otherwise());
    CORO_CHECK(full.index() == 1 && ch.size() == 1);
    CORO_CHECK(ch.try_recv() == 6);
  });
  REQUIRE(result.passed());
}

TEST_CASE("a parked choose is completed by the first partner and the others find nothing", "[chan][choose]") {
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> a = corosim::make_chan<int>();
    Chan<int> b = corosim::make_chan<int>();
    auto chooser = corosim::spawn([a, b]() -> Task<std::size_t> {
      auto got = co_await corosim::choose(corosim::recv_from(a), corosim::recv_from(b), corosim::after(1s));
      co_return got.index();
    });
    co_await corosim::yield_now();
    CORO_CHECK(b.try_send(2));   // claims the choose
    CORO_CHECK(!a.try_send(1));  // its case on a is withdrawn: nobody receives
    CORO_CHECK((co_await chooser) == 1);
    co_await corosim::sleep_for(2s);  // its timer was disarmed with it
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("choose's timer case fires when nothing else completes", "[chan][choose]") {
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> ch = corosim::make_chan<int>();
    const auto start = corosim::now();
    auto got = co_await corosim::choose(corosim::recv_from(ch), corosim::after(50ms), corosim::after(20ms));
    CORO_CHECK(got.index() == 2);  // the earlier deadline
    CORO_CHECK(corosim::now() - start == 20ms);
    CORO_CHECK(!ch.try_send(1));  // the receive case is gone
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("choose's send case is taken by a receiver and nil cases are never ready", "[chan][choose]") {
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> out = corosim::make_chan<int>();
    Chan<int> off;  // nil: switched off
    auto receiver = corosim::spawn([out]() -> Task<int> { co_return *co_await out.recv(); });
    auto got = co_await corosim::choose(corosim::recv_from(off), corosim::send_to(out, 9));
    CORO_CHECK(got.index() == 1 && std::get<1>(got));
    CORO_CHECK((co_await receiver) == 9);
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("choose waiting on channels only is a deadlock that names its cases", "[chan][choose][deadlock]") {
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> a = corosim::make_chan<int>();
    Chan<int> b = corosim::make_chan<int>(1);
    co_await b.send(0);
    co_await corosim::choose(corosim::recv_from(a), corosim::send_to(b, 1));
  });
  REQUIRE(checker_of(result) == "deadlock");
  REQUIRE_THAT(message_of(result),
               Catch::Contains("choose over chan#") && Catch::Contains(".recv") && Catch::Contains(".send"));
}

TEST_CASE("closing a chan completes a parked choose's case on it", "[chan][choose]") {
  auto result = run_fifo([&]() -> Task<void> {
    Chan<int> a = corosim::make_chan<int>();
    Chan<int> done = corosim::make_chan<int>();
    auto chooser = corosim::spawn([a, done]() -> Task<std::size_t> {
      auto got = co_await corosim::choose(corosim::recv_from(a), corosim::recv_from(done));
      CORO_CHECK(got.index() == 1 && !std::get<1>(got).has_value());
      co_return got.index();
    });
    co_await corosim::yield_now();
    done.close();
    CORO_CHECK((co_await chooser) == 1);
  });
  INFO(message_of(result));
  REQUIRE(result.passed());
}

TEST_CASE("Chan's ledger balances whenever its receivers are cancelled", "[chan][ledger]") {
  // Two receivers cancellable from outside (injected at every point in every
  // mode), a sender that gives up on a value after 1ms. A value handed to a
  // receiver that is cancelled before it resumes must come back, or the
  // ledger (audited after every injected cancellation) finds it missing.
  auto body = []() -> Task<void> {
    Chan<int> ch = corosim::make_chan<int>();
    auto receive = [ch]() -> Task<void> {
      while (co_await ch.recv()) {
      }
    };
    auto a = corosim::spawn(receive).externally_cancellable();
    auto b = corosim::spawn(receive).externally_cancellable();
    for (int i = 0; i < 3; ++i) co_await corosim::choose(corosim::send_to(ch, i), corosim::after(1ms));
    ch.close();
    for (auto* handle : {&a, &b}) {
      try {
        co_await *handle;
      } catch (const corosim::Cancelled&) {
      }
    }
  };
  corosim::testing::require_sweeps_pass(body);
}
