// A request sent with one write_some over a simulated TCP connection. The
// client writes its request with async_write_some and ignores how much was
// taken; a network (like a socket whose send buffer is nearly full) may take
// only a prefix, so the server reads a truncated request. The fixed client
// uses async_write, which loops until all of it is sent.
//
// Both are written against a `Tcp` alias: corosim::asio::tcp here,
// asio::ip::tcp in production.
#include <asio/experimental/as_tuple.hpp>
#include <string>

#include "corosim/asio/scenario.h"
#include "corosim/asio/tcp.h"
#include "corosim/runtime/check.h"

namespace {

namespace net = corosim::asio::net;
using Tcp = corosim::asio::tcp;

const std::string kRequest = "GET /inventory?item=42\n";

// Reads one request line and answers with it.
net::awaitable<void> server(Tcp::acceptor& acceptor) {
  Tcp::socket peer = co_await acceptor.async_accept(net::use_awaitable);
  std::string line;
  auto [error, n] = co_await net::async_read_until(peer, net::dynamic_buffer(line), '\n',
                                                   net::experimental::as_tuple(net::use_awaitable));
  if (error) line = "error: " + error.message();
  co_await net::async_write(peer, net::buffer(line), net::use_awaitable);
  peer.shutdown(net::socket_base::shutdown_send);
}

net::awaitable<void> client(bool write_all) {
  auto executor = co_await net::this_coro::executor;
  Tcp::acceptor acceptor(executor, Tcp::endpoint(Tcp::v4(), 8080));
  net::co_spawn(executor, server(acceptor), net::detached);
  Tcp::socket socket(executor);
  co_await socket.async_connect(Tcp::endpoint(net::ip::make_address("127.0.0.1"), 8080), net::use_awaitable);
  if (write_all) {
    co_await net::async_write(socket, net::buffer(kRequest), net::use_awaitable);
  } else {
    co_await socket.async_write_some(net::buffer(kRequest), net::use_awaitable);  // the count is ignored
  }
  socket.shutdown(net::socket_base::shutdown_send);
  std::string reply;
  // Until eof (the outcome is in the reply).
  co_await net::async_read(socket, net::dynamic_buffer(reply),
                           net::experimental::as_tuple(net::use_awaitable));
  const std::string message = "the server saw '" + reply + "'";
  CORO_CHECK_MSG(reply == kRequest, message);
}

}  // namespace

CORO_ASIO_SCENARIO("asio/short_write", corosim::fails_with(corosim::Checker::check)) {
  co_await client(false);
}
CORO_ASIO_SCENARIO("asio/short_write_fixed", corosim::passes()) { co_await client(true); }
