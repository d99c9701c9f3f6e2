#include "corosim/asio/stream.h"

#include <algorithm>

#include "corosim/asio/context.h"

namespace corosim::asio {

std::pair<Stream, Stream> make_stream_pair(const net::any_io_executor& executor, StreamOptions options) {
  auto shared = std::make_shared<Stream::Shared>();
  shared->options = options;
  // A pending read's handler owns the reading coroutine, which may own a
  // Stream of this pair: break that cycle when the context shuts down.
  if (Context* context = Context::current()) {
    context->at_shutdown([weak = std::weak_ptr<Stream::Shared>(shared)] {
      if (std::shared_ptr<Stream::Shared> state = weak.lock()) {
        std::unique_ptr<Stream::PendingRead> first = std::move(state->to[0].reader);
        std::unique_ptr<Stream::PendingRead> second = std::move(state->to[1].reader);
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
  if (from.closed) {
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

void Stream::shutdown_send() {
  shared_->to[1 - side_].closed = true;
  serve_reader(*shared_, 1 - side_);
}

void Stream::reset() {
  shared_->reset = true;
  serve_reader(*shared_, 0);
  serve_reader(*shared_, 1);
}

}  // namespace corosim::asio
