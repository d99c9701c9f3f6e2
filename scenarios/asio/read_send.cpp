// The seed's read_send story as idiomatic asio: a loop races
// `read_send(file, channel) || packet()` with awaitable operators. When a
// packet wins, `||` cancels read_send through its cancellation slot while it
// waits to send (the consumer is slow): the pending async_send completes with
// operation_aborted, its record is not delivered, and the rest of the batch
// read from the file is gone with the coroutine's frame.
//
// The fix keeps the batch in the loop's state and takes a record off it only
// once its send has completed: a cancelled send leaves it there for the next
// round.
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/experimental/channel.hpp>
#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "corosim/asio/scenario.h"
#include "corosim/runtime/check.h"

namespace {

namespace net = corosim::asio::net;
using namespace std::chrono_literals;
using namespace net::experimental::awaitable_operators;
using Records = net::experimental::channel<void(net::error_code, int)>;

constexpr int kRecords = 12;
constexpr int kBatch = 4;

struct File {
  int position = 0;
  bool done() const { return position == kRecords; }
  // Reads the next records (a disk read: 1 ms).
  net::awaitable<std::vector<int>> read_batch() {
    net::steady_timer disk(co_await net::this_coro::executor, 1ms);
    co_await disk.async_wait(net::use_awaitable);
    std::vector<int> batch;
    while (batch.size() < kBatch && position < kRecords) batch.push_back(position++);
    co_return batch;
  }
};

// Buggy: the batch lives in this frame.
net::awaitable<void> read_send(File& file, Records& out) {
  const std::vector<int> batch = co_await file.read_batch();
  for (int record : batch) co_await out.async_send(net::error_code{}, record, net::use_awaitable);
}

// Fixed: the batch lives in the caller's state; a record leaves it once sent.
net::awaitable<void> read_send_owned(File& file, std::deque<int>& pending, Records& out) {
  if (pending.empty()) {
    const std::vector<int> batch = co_await file.read_batch();
    pending.insert(pending.end(), batch.begin(), batch.end());
  }
  while (!pending.empty()) {
    co_await out.async_send(net::error_code{}, pending.front(), net::use_awaitable);
    pending.pop_front();
  }
}

// A packet from the socket every 3 ms.
net::awaitable<int> packet(int& packets) {
  net::steady_timer wire(co_await net::this_coro::executor, 3ms);
  co_await wire.async_wait(net::use_awaitable);
  co_return ++packets;
}

// The consumer is slow (2 ms a record), so senders wait on the full channel.
net::awaitable<void> consume(Records& in, std::vector<int>& received) {
  for (;;) {
    auto [error, record] = co_await in.async_receive(net::experimental::as_tuple(net::use_awaitable));
    if (error) co_return;  // closed
    received.push_back(record);
    net::steady_timer work(co_await net::this_coro::executor, 2ms);
    co_await work.async_wait(net::use_awaitable);
  }
}

net::awaitable<void> serve(bool owned) {
  auto executor = co_await net::this_coro::executor;
  File file;
  Records records(executor, 1);
  std::vector<int> received;
  bool consumed = false;
  net::co_spawn(executor, consume(records, received), [&](std::exception_ptr) { consumed = true; });
  std::deque<int> pending;
  int packets = 0;
  while (!file.done() || !pending.empty()) {
    if (owned) {
      co_await (read_send_owned(file, pending, records) || packet(packets));
    } else {
      co_await (read_send(file, records) || packet(packets));
    }
  }
  // Let the consumer drain the channel, then close it (closing discards
  // what is still buffered).
  net::steady_timer drain(executor, 100ms);
  co_await drain.async_wait(net::use_awaitable);
  records.close();
  while (!consumed) {
    drain.expires_after(1ms);
    co_await drain.async_wait(net::use_awaitable);
  }
  // One line: a check spanning lines reports a different line under g++ and clang.
  const std::string got = std::to_string(received.size());
  CORO_CHECK_MSG(received.size() == kRecords, "the consumer received " + got + " of 12 records");
}

}  // namespace

CORO_ASIO_SCENARIO("asio/read_send", corosim::fails_with(corosim::Checker::check)) { co_await serve(false); }
CORO_ASIO_SCENARIO("asio/read_send_owned_batch", corosim::passes()) { co_await serve(true); }
