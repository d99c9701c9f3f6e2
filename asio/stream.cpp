#include "corosim/asio/stream.h"

#include <algorithm>

#include "corosim/asio/context.h"

namespace corosim::asio {

std::pair<Stream, Stream> make_stream_pair(const net::any_io_executor& executor, StreamOptions options) {
  auto shared = std::make_shared<Stream::Shared>();
  shared->options = options;
  shared->executor = executor;
  // A pending read's handler owns the reading coroutine, which may own a
  // Stream of this pair: break that cycle when the context shuts down.
  if (Context* context = Context::current()) {
    context->at_shutdown([weak = std::weak_ptr<Stream::Shared>(shared)] {
      if (std::shared_ptr<Stream::Shared> state = weak.lock()) {
        std::unique_ptr<Stream::PendingRead> first = std::move(state->to[0].reader);
        std::unique_ptr<Stream::PendingRead> second = std::move(state->to[1].reader);
        // Before asio's services go: a timer must not outlive its service.
        state->to[0].arrivals.reset();
        state->to[1].arrivals.reset();
      }
    });
  }
  return {Stream(shared, 0, executor), Stream(shared, 1, executor)};
}

bool Stream::try_read(Shared& shared, Direction& from, const std::vector<net::mutable_buffer>& buffers,
                      net::error_code& error, std::size_t& bytes) {
  bytes = 0;
  if (shared.reset) {
    error = net::error::connection_reset;
    return true;
  }
  const std::size_t room = net::buffer_size(buffers);
  if (room == 0) return true;  // an empty read completes at once
  if (!from.bytes.empty()) {
    std::size_t take = std::min(room, from.bytes.size());
    // Any prefix of what has arrived: the network delivers in pieces.
    if (shared.options.partial_reads && take > 1) take = 1 + static_cast<std::size_t>(corosim::random(take));
    std::vector<unsigned char> piece(from.bytes.begin(),
                                     from.bytes.begin() + static_cast<std::ptrdiff_t>(take));
    from.bytes.erase(from.bytes.begin(), from.bytes.begin() + static_cast<std::ptrdiff_t>(take));
    bytes = net::buffer_copy(buffers, net::buffer(piece));
    return true;
  }
  if (from.closed && from.in_flight.empty()) {
    error = net::error::eof;
    return true;
  }
  return false;
}

void Stream::serve_reader(Shared& shared, int side) {
  Direction& from = shared.to[side];
  if (!from.reader) return;
  net::error_code error;
  std::size_t bytes = 0;
  if (!try_read(shared, from, from.reader->buffers, error, bytes)) return;
  std::unique_ptr<PendingRead> reader = std::move(from.reader);
  reader->complete(error, bytes, false);
}

std::size_t Stream::send(const std::shared_ptr<Shared>& shared, int side,
                         const std::vector<net::const_buffer>& source) {
  std::vector<unsigned char> sent;
  for (const net::const_buffer& piece : source) {
    const auto* data = static_cast<const unsigned char*>(piece.data());
    sent.insert(sent.end(), data, data + piece.size());
  }
  // Any prefix of what was offered: a write_some may take less.
  if (shared->options.partial_writes && sent.size() > 1) {
    sent.resize(1 + static_cast<std::size_t>(corosim::random(sent.size())));
  }
  const std::size_t count = sent.size();
  Direction& to = shared->to[side];
  const auto latency = shared->options.latency;
  const auto delay = latency.count() > 0 ? latency * static_cast<std::int64_t>(corosim::random(11)) / 10
                                         : std::chrono::nanoseconds(0);
  if (delay.count() == 0 && to.in_flight.empty()) {
    to.bytes.insert(to.bytes.end(), sent.begin(), sent.end());
    serve_reader(*shared, side);
    return count;
  }
  // In order: never before what was sent earlier.
  auto arrival = std::chrono::steady_clock::now() + delay;
  if (!to.in_flight.empty() && to.in_flight.back().arrival > arrival) arrival = to.in_flight.back().arrival;
  to.in_flight.push_back(Flight{arrival, std::move(sent)});
  if (to.in_flight.size() == 1) await_arrival(shared, side);
  return count;
}

void Stream::await_arrival(const std::shared_ptr<Shared>& shared, int side) {
  Direction& to = shared->to[side];
  if (!to.arrivals) to.arrivals = std::make_unique<net::steady_timer>(shared->executor);
  to.arrivals->expires_at(to.in_flight.front().arrival);
  to.arrivals->async_wait([weak = std::weak_ptr<Shared>(shared), side](net::error_code error) {
    std::shared_ptr<Shared> state = weak.lock();
    if (!error && state) land(state, side);
  });
}

void Stream::land(const std::shared_ptr<Shared>& shared, int side) {
  Direction& to = shared->to[side];
  const auto now = std::chrono::steady_clock::now();
  while (!to.in_flight.empty() && to.in_flight.front().arrival <= now) {
    std::vector<unsigned char>& bytes = to.in_flight.front().bytes;
    to.bytes.insert(to.bytes.end(), bytes.begin(), bytes.end());
    to.in_flight.pop_front();
  }
  if (!to.in_flight.empty()) await_arrival(shared, side);
  serve_reader(*shared, side);
}

bool Stream::reset_now(Shared& shared) {
  if (shared.reset || shared.options.reset_one_in == 0) return false;
  if (corosim::random(shared.options.reset_one_in) != 0) return false;
  reset_connection(shared);
  return true;
}

void Stream::reset_connection(Shared& shared) {
  shared.reset = true;
  for (Direction& direction : shared.to) {
    direction.in_flight.clear();  // lost with the connection
    if (direction.arrivals) direction.arrivals->cancel();
  }
  serve_reader(shared, 0);
  serve_reader(shared, 1);
}

void Stream::shutdown_send() {
  shared_->to[1 - side_].closed = true;
  serve_reader(*shared_, 1 - side_);
}

void Stream::reset() { reset_connection(*shared_); }

void Stream::cancel() {
  std::unique_ptr<PendingRead> reader = std::move(shared_->to[side_].reader);
  if (reader) reader->complete(net::error::operation_aborted, 0, false);
}

}  // namespace corosim::asio
