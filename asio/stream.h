// corosim::asio::Stream: one end of an in-memory connection that meets asio's
// AsyncReadStream and AsyncWriteStream requirements, so code written against a
// stream template parameter (asio::async_read, async_write, read_until, ...)
// runs on it in tests and on a tcp::socket in production.
//
// What a network does that a test must meet is explored, not scripted:
// - a read returns any number of the bytes available, from one up (a
//   random() decision per read: "the reply arrives in three chunks");
// - a write_some takes any prefix of its buffers, from one byte up (a
//   decision per write): code that ignores the count loses the rest;
// - with a latency, what a write sends arrives 0..latency later, in tenths
//   (a decision per write), in order;
// - with reset_one_in, any read or write may find the connection reset (the
//   peer resets mid-frame), with probability 1/N per operation;
// - shutdown_send() half-closes (the peer reads what was sent, then eof);
//   reset() resets the connection: pending and later reads and writes on
//   both ends fail with connection_reset, and bytes in flight are lost.
// Writes complete at once (the buffer is unbounded). A pending read takes
// asio's per-operation cancellation through the handler's cancellation slot:
// terminal, partial or total, all honoured, since a read that has consumed
// nothing has no effect to undo; it then completes with operation_aborted.
// Completions go through the handler's associated executor, never inline.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "corosim/asio/net.h"
#include "corosim/asio/tracking.h"
#include "corosim/executor/assert.h"
#include "corosim/runtime/check.h"

namespace corosim::asio {

namespace detail {

// Runs a completion handler with args as a step of its own, on its associated
// executor (io when it has none): asio's rule that an operation never
// completes inside its initiating function.
template <class Handler, class... Args>
void post_completion(Handler handler, const net::any_io_executor& io, Args... args) {
  auto executor = net::get_associated_executor(handler, io);
  net::post(executor, [h = std::move(handler), ... values = std::move(args)]() mutable {
    std::move(h)(std::move(values)...);
  });
}

// Completes an operation that waited (a Stream read, an accept): no longer
// pending for the reports (asio/tracking.h), its cancellation slot cleared —
// unless the completion comes from the slot's own handler, which must not be
// cleared while it runs — and its handler posted.
template <class Handler, class... Args>
void complete_waiting(tracking::Tracked& operation, Handler& handler, const net::any_io_executor& io,
                      bool cancelled, Args... args) {
  tracking::completed(operation);
  operation.corosim_operation = 0;
  auto slot = net::get_associated_cancellation_slot(handler);
  if (slot.is_connected() && !cancelled) slot.clear();
  post_completion(std::move(handler), io, std::move(args)...);
}

}  // namespace detail

struct StreamOptions {
  // A read returns 1..available bytes (a decision); off: all that fit.
  bool partial_reads = true;
  // A write_some takes 1..size bytes (a decision); off: all of them.
  bool partial_writes = true;
  // Written bytes arrive k/10 of this later, k in 0..10 a decision per
  // write, never before bytes written earlier (0: at once).
  std::chrono::nanoseconds latency{0};
  // Each read and write resets the connection with probability 1/N, a
  // decision (0: only reset() does).
  std::uint32_t reset_one_in = 0;
};

class Stream {
 public:
  using executor_type = net::any_io_executor;

  executor_type get_executor() const { return executor_; }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token);
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token);

  // Half-close: the peer reads what was written, then eof. Writing after it fails (broken_pipe).
  void shutdown_send();
  // Resets the connection: every pending and later operation on both ends fails (connection_reset).
  void reset();
  // This end's pending read completes with operation_aborted (a socket's cancel()).
  void cancel();
  // The cancellation type the last cancelled read of this end received (none: never cancelled).
  net::cancellation_type_t last_cancellation() const noexcept { return shared_->last_cancellation[side_]; }

  friend std::pair<Stream, Stream> make_stream_pair(const net::any_io_executor& executor,
                                                    StreamOptions options);

 private:
  // Recorded with the context's pending operations while it waits (asio/tracking.h).
  struct PendingRead : tracking::Tracked {
    virtual ~PendingRead() { tracking::completed(*this); }
    // cancelled: completed from the slot's own handler, which must not be
    // cleared while it runs.
    virtual void complete(net::error_code error, std::size_t bytes, bool cancelled) = 0;
    std::vector<net::mutable_buffer> buffers;
  };
  template <class Handler>
  struct PendingReadOf;
  // Bytes written and not yet arrived (latency).
  struct Flight {
    std::chrono::steady_clock::time_point arrival;
    std::vector<unsigned char> bytes;
  };
  struct Direction {
    std::deque<unsigned char> bytes;
    std::deque<Flight> in_flight;
    std::unique_ptr<net::steady_timer> arrivals;  // due at the first flight's arrival
    bool closed = false;
    std::unique_ptr<PendingRead> reader;
  };
  struct Shared {
    StreamOptions options;
    net::any_io_executor executor;
    Direction to[2];  // to[i]: the bytes end i reads
    bool reset = false;
    net::cancellation_type_t last_cancellation[2] = {net::cancellation_type::none,
                                                     net::cancellation_type::none};
  };
  struct CancelRead;

  Stream(std::shared_ptr<Shared> shared, int side, net::any_io_executor executor)
      : shared_(std::move(shared)), side_(side), executor_(std::move(executor)) {}

  // What a read of `buffers` from `from` gets now, if it can complete.
  static bool try_read(Shared& shared, Direction& from, const std::vector<net::mutable_buffer>& buffers,
                       net::error_code& error, std::size_t& bytes);
  // Completes the pending read of `side`, if it can now.
  static void serve_reader(Shared& shared, int side);
  // Takes what a write_some of `source` sends (all, or a decided prefix) and
  // sends it toward `side`: at once, or in flight (latency).
  static std::size_t send(const std::shared_ptr<Shared>& shared, int side,
                          const std::vector<net::const_buffer>& source);
  // Moves the flights toward `side` that have arrived into its bytes.
  static void land(const std::shared_ptr<Shared>& shared, int side);
  static void await_arrival(const std::shared_ptr<Shared>& shared, int side);
  // The decided network reset (StreamOptions::reset_one_in): true if it came now.
  static bool reset_now(Shared& shared);
  static void reset_connection(Shared& shared);

  std::shared_ptr<Shared> shared_;
  int side_;
  net::any_io_executor executor_;
};

std::pair<Stream, Stream> make_stream_pair(const net::any_io_executor& executor, StreamOptions options = {});

// --- implementation -------------------------------------------------------------

template <class Handler>
struct Stream::PendingReadOf final : PendingRead {
  PendingReadOf(Handler h, net::any_io_executor io) : handler(std::move(h)), io_executor(std::move(io)) {}
  void complete(net::error_code error, std::size_t bytes, bool cancelled) override {
    detail::complete_waiting(*this, handler, io_executor, cancelled, error, bytes);
  }
  Handler handler;
  net::any_io_executor io_executor;
};

// Installed in a pending read's cancellation slot.
struct Stream::CancelRead {
  std::weak_ptr<Shared> shared;
  int side;
  void operator()(net::cancellation_type_t type) {
    const std::shared_ptr<Shared> state = shared.lock();
    if (!state) return;
    const auto honoured =
        net::cancellation_type::terminal | net::cancellation_type::partial | net::cancellation_type::total;
    if ((type & honoured) == net::cancellation_type::none) return;
    std::unique_ptr<PendingRead> reader = std::move(state->to[side].reader);
    if (!reader) return;
    state->last_cancellation[side] = type;
    reader->complete(net::error::operation_aborted, 0, true);
  }
};

template <class MutableBuffers, class Token>
auto Stream::async_read_some(const MutableBuffers& buffers, Token&& token) {
  auto initiation = [this](auto handler, const MutableBuffers& target) {
    auto pending =
        std::make_unique<PendingReadOf<std::decay_t<decltype(handler)>>>(std::move(handler), executor_);
    for (auto it = net::buffer_sequence_begin(target); it != net::buffer_sequence_end(target); ++it) {
      pending->buffers.push_back(net::mutable_buffer(*it));
    }
    Direction& from = shared_->to[side_];
    net::error_code error;
    std::size_t bytes = 0;
    reset_now(*shared_);
    if (try_read(*shared_, from, pending->buffers, error, bytes)) {
      pending->complete(error, bytes, false);
      return;
    }
    COROSIM_ASSERT(!from.reader && "one read at a time on a stream end");
    tracking::created(*pending, &net::query(executor_, net::execution::context), "corosim::asio::Stream",
                      "async_read_some");
    auto slot = net::get_associated_cancellation_slot(pending->handler);
    if (slot.is_connected()) slot.template emplace<CancelRead>(CancelRead{shared_, side_});
    from.reader = std::move(pending);
  };
  return net::async_initiate<Token, void(net::error_code, std::size_t)>(initiation, token, buffers);
}

template <class ConstBuffers, class Token>
auto Stream::async_write_some(const ConstBuffers& buffers, Token&& token) {
  auto initiation = [this](auto handler, const ConstBuffers& source) {
    net::error_code error;
    std::size_t bytes = 0;
    if (shared_->reset || reset_now(*shared_)) {
      error = net::error::connection_reset;
    } else if (shared_->to[1 - side_].closed) {
      error = net::error::broken_pipe;
    } else {
      std::vector<net::const_buffer> pieces;
      for (auto it = net::buffer_sequence_begin(source); it != net::buffer_sequence_end(source); ++it) {
        pieces.push_back(net::const_buffer(*it));
      }
      bytes = send(shared_, 1 - side_, pieces);
    }
    detail::post_completion(std::move(handler), executor_, error, bytes);
  };
  return net::async_initiate<Token, void(net::error_code, std::size_t)>(initiation, token, buffers);
}

}  // namespace corosim::asio
