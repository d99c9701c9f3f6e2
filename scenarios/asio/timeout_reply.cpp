// A timeout against a reply on a simulated socket. The client sends a request
// and awaits `read_reply(stream) || deadline`; the server answers with a
// 4-byte length, then, a little later, the body. When the deadline wins
// between the two, `||` cancels read_reply with its length already consumed:
// the retry then reads the body's first bytes as a length and the stream is
// out of step (a reply of the wrong request).
//
// The fixed client reads into a buffer the connection owns: what a cancelled
// read consumed stays there for the retry.
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <variant>

#include "corosim/asio/scenario.h"
#include "corosim/asio/stream.h"
#include "corosim/runtime/check.h"

namespace {

namespace net = corosim::asio::net;
using corosim::asio::Stream;
using namespace std::chrono_literals;
using namespace net::experimental::awaitable_operators;

net::awaitable<void> sleep(std::chrono::microseconds delay) {
  net::steady_timer timer(co_await net::this_coro::executor, delay);
  co_await timer.async_wait(net::use_awaitable);
}

// Answers each one-byte request with "reply-N": its length (4 bytes), then
// the body 2 ms later (the server streams what it computes).
net::awaitable<void> server(Stream& stream) {
  for (;;) {
    unsigned char request = 0;
    auto [error, got] = co_await net::async_read(stream, net::buffer(&request, 1),
                                                 net::experimental::as_tuple(net::use_awaitable));
    if (error) co_return;
    const std::string body = "reply-" + std::to_string(request);
    const std::uint32_t length = static_cast<std::uint32_t>(body.size());
    co_await sleep(1ms);
    co_await net::async_write(stream, net::buffer(&length, sizeof length), net::use_awaitable);
    co_await sleep(2ms);
    co_await net::async_write(stream, net::buffer(body), net::use_awaitable);
  }
}

// Buggy: the length lives in this frame; cancelled after reading it, it is lost.
net::awaitable<std::string> read_reply(Stream& stream) {
  std::uint32_t length = 0;
  co_await net::async_read(stream, net::buffer(&length, sizeof length), net::use_awaitable);
  if (length > 64) {  // what a real client checks before allocating
    const std::string size = std::to_string(length);
    CORO_CHECK_MSG(length <= 64, "a reply length of " + size + ": the stream is out of step");
    co_return std::string();
  }
  std::string body(length, '\0');
  co_await net::async_read(stream, net::buffer(body), net::use_awaitable);
  co_return body;
}

// Fixed: the bytes read so far live in the connection's buffer.
net::awaitable<std::string> read_reply_buffered(Stream& stream, std::string& buffered) {
  auto into = net::dynamic_buffer(buffered);
  if (buffered.size() < 4)
    co_await net::async_read(stream, into, net::transfer_exactly(4 - buffered.size()), net::use_awaitable);
  std::uint32_t length = 0;
  std::copy_n(buffered.data(), 4, reinterpret_cast<char*>(&length));
  const std::size_t total = 4 + length;
  if (buffered.size() < total)
    co_await net::async_read(stream, into, net::transfer_exactly(total - buffered.size()),
                             net::use_awaitable);
  std::string body = buffered.substr(4, length);
  buffered.erase(0, total);
  co_return body;
}

net::awaitable<void> client(bool buffered_reads) {
  auto executor = co_await net::this_coro::executor;
  auto [near, far] = corosim::asio::make_stream_pair(executor);
  net::co_spawn(executor, server(far), net::detached);
  std::string buffered;
  for (unsigned char request = 1; request <= 3; ++request) {
    co_await net::async_write(near, net::buffer(&request, 1), net::use_awaitable);
    std::string reply;
    for (int attempt = 0; attempt < 10 && reply.empty(); ++attempt) {
      // (Not a ?: of two co_awaits: g++ 12 destroys its result twice.)
      std::variant<std::string, std::monostate> result;
      if (buffered_reads) {
        result = co_await (read_reply_buffered(near, buffered) || sleep(2500us));
      } else {
        result = co_await (read_reply(near) || sleep(2500us));
      }
      if (result.index() == 0) reply = std::get<0>(result);
    }
    const std::string expected = "reply-" + std::to_string(request);
    CORO_CHECK_MSG(reply == expected, "request " + std::to_string(request) + " got '" + reply + "'");
  }
  near.shutdown_send();
}

}  // namespace

CORO_ASIO_SCENARIO("asio/timeout_reply", corosim::fails_with(corosim::Checker::check)) {
  co_await client(false);
}
CORO_ASIO_SCENARIO("asio/timeout_reply_fixed", corosim::passes()) { co_await client(true); }
