// The simulated TCP subset (asio/tcp.h): acceptor, socket and endpoint on the
// run's network, with code written once against a `tcp` alias.
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <system_error>
#include <variant>

#include "corosim/asio/scenario.h"
#include "corosim/asio/tcp.h"
#include "corosim/runtime/check.h"
#include "corosim/runtime/time.h"
#include "tests/common/sim_helpers.h"

using corosim::testing::checker_of;
using corosim::testing::message_of;
using corosim::testing::run_random;
namespace net = corosim::asio::net;
using namespace std::chrono_literals;
using namespace net::experimental::awaitable_operators;

namespace {

// Production-shaped code: one line-echo session, written against a Tcp
// parameter that is asio::ip::tcp in production and corosim::asio::tcp here.
template <class Tcp>
net::awaitable<void> echo_lines(typename Tcp::socket peer) {
  std::string buffered;
  for (;;) {
    auto [error, n] = co_await net::async_read_until(peer, net::dynamic_buffer(buffered), '\n',
                                                     net::experimental::as_tuple(net::use_awaitable));
    if (error) co_return;
    const std::string line = buffered.substr(0, n);
    buffered.erase(0, n);
    co_await net::async_write(peer, net::buffer(line), net::use_awaitable);
  }
}

template <class Tcp>
net::awaitable<void> serve(typename Tcp::acceptor& acceptor) {
  for (;;) {
    auto [error, peer] = co_await acceptor.async_accept(net::experimental::as_tuple(net::use_awaitable));
    if (error) co_return;
    net::co_spawn(acceptor.get_executor(), echo_lines<Tcp>(std::move(peer)), net::detached);
  }
}

// The production instantiation compiles against asio's own types.
[[maybe_unused]] auto* const production_session = &echo_lines<net::ip::tcp>;

using Tcp = corosim::asio::tcp;

std::string g_echoed;
std::uint64_t g_finished_ns = 0;

net::awaitable<void> echo_twice() {
  auto executor = co_await net::this_coro::executor;
  Tcp::acceptor acceptor(executor, Tcp::endpoint(Tcp::v4(), 0));
  const unsigned short port = acceptor.local_endpoint().port();
  net::co_spawn(executor, serve<Tcp>(acceptor), net::detached);
  Tcp::socket client(executor);
  co_await client.async_connect(Tcp::endpoint(net::ip::make_address("127.0.0.1"), port), net::use_awaitable);
  CORO_CHECK(client.remote_endpoint().port() == port);
  co_await net::async_write(client, net::buffer(std::string("one\ntwo\n")), net::use_awaitable);
  std::string reply;
  co_await net::async_read(client, net::dynamic_buffer(reply), net::transfer_exactly(8), net::use_awaitable);
  g_echoed = reply;
  g_finished_ns = static_cast<std::uint64_t>(corosim::now().count());
  client.close();
  acceptor.close();
}

net::awaitable<void> refused() {
  auto executor = co_await net::this_coro::executor;
  Tcp::socket client(executor);
  auto [error] = co_await client.async_connect(Tcp::endpoint(net::ip::make_address("127.0.0.1"), 9),
                                               net::experimental::as_tuple(net::use_awaitable));
  CORO_CHECK_MSG(error == net::error::connection_refused, "connecting to a closed port: " + error.message());
  CORO_CHECK(!client.is_open());
}

net::awaitable<void> port_in_use() {
  auto executor = co_await net::this_coro::executor;
  Tcp::acceptor first(executor, Tcp::endpoint(Tcp::v4(), 8080));
  bool threw = false;
  try {
    Tcp::acceptor second(executor, Tcp::endpoint(Tcp::v4(), 8080));
  } catch (const std::system_error& error) {
    threw = error.code() == net::error::address_in_use;
  }
  CORO_CHECK_MSG(threw, "a second acceptor on a port in use throws address_in_use");
  first.close();
  Tcp::acceptor again(executor, Tcp::endpoint(Tcp::v4(), 8080));  // free once closed
}

// An accept raced against a timer: `||` cancels it through its slot.
net::awaitable<void> accept_times_out() {
  auto executor = co_await net::this_coro::executor;
  Tcp::acceptor acceptor(executor, Tcp::endpoint(Tcp::v4(), 0));
  net::steady_timer deadline(executor, 5ms);
  auto result =
      co_await (acceptor.async_accept(net::use_awaitable) || deadline.async_wait(net::use_awaitable));
  CORO_CHECK_MSG(result.index() == 1, "nobody connects: the deadline wins");
  // A connection after the cancelled accept is still queued for the next.
  Tcp::socket client(executor);
  co_await client.async_connect(acceptor.local_endpoint(), net::use_awaitable);
  Tcp::socket peer = co_await acceptor.async_accept(net::use_awaitable);
  CORO_CHECK(peer.is_open());
}

// Closing the acceptor resets the connection it never accepted.
net::awaitable<void> unaccepted_is_reset() {
  auto executor = co_await net::this_coro::executor;
  Tcp::socket client(executor);
  {
    Tcp::acceptor acceptor(executor, Tcp::endpoint(Tcp::v4(), 0));
    co_await client.async_connect(acceptor.local_endpoint(), net::use_awaitable);
  }
  std::array<char, 4> buffer{};
  auto [error, n] =
      co_await client.async_read_some(net::buffer(buffer), net::experimental::as_tuple(net::use_awaitable));
  CORO_CHECK_MSG(error == net::error::connection_reset, "read after the listener closed: " + error.message());
}

// A server that never accepts: the client's read waits forever.
net::awaitable<void> server_never_accepts() {
  auto executor = co_await net::this_coro::executor;
  Tcp::acceptor acceptor(executor, Tcp::endpoint(Tcp::v4(), 7000));
  Tcp::socket client(executor);
  co_await client.async_connect(acceptor.local_endpoint(), net::use_awaitable);
  std::array<char, 4> buffer{};
  co_await client.async_read_some(net::buffer(buffer), net::use_awaitable);
}

corosim::MainFactory on_asio(net::awaitable<void> (*body)()) {
  return [body]() { return corosim::asio::run(body); };
}

}  // namespace

TEST_CASE("asio tcp: an echo server and a client talk through an acceptor and sockets", "[asio]") {
  std::set<std::size_t> steps;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    g_echoed.clear();
    const corosim::RunResult run = run_random(on_asio(echo_twice), seed);
    INFO(message_of(run));
    REQUIRE(run.passed());
    CHECK(g_echoed == "one\ntwo\n");
    steps.insert(run.steps);
  }
  CHECK(steps.size() > 1);  // partial reads and writes are decisions
}

TEST_CASE("asio tcp: latency set for the network delays the echo", "[asio]") {
  std::set<std::uint64_t> finished;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    const corosim::RunResult run = run_random(
        [] {
          return corosim::asio::run([]() -> net::awaitable<void> {
            corosim::asio::StreamOptions slow;
            slow.latency = 10ms;
            Tcp::set_stream_options(slow);
            co_await echo_twice();
          });
        },
        seed);
    INFO(message_of(run));
    REQUIRE(run.passed());
    finished.insert(g_finished_ns);
  }
  CHECK(finished.size() > 3);
  CHECK(*finished.rbegin() > 0);
}

TEST_CASE("asio tcp: refused connections ports in use cancelled accepts and resets", "[asio]") {
  for (auto* body : {refused, port_in_use, accept_times_out, unaccepted_is_reset}) {
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
      const corosim::RunResult run = run_random(on_asio(body), seed);
      INFO(message_of(run));
      CHECK(run.passed());
    }
  }
}

TEST_CASE("asio tcp: a read nobody answers is a deadlock naming the socket read", "[asio]") {
  const corosim::RunResult run = run_random(on_asio(server_never_accepts), 0);
  REQUIRE(checker_of(run) == "deadlock");
  CHECK_THAT(message_of(run), Catch::Contains("corosim::asio::Stream async_read_some"));
}
