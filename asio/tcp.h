// corosim::asio::tcp: the subset of asio::ip::tcp a service's coroutines use —
// acceptor, socket, endpoint — on a simulated network inside the run. Code
// written against one alias runs on it in tests and on real sockets in
// production:
//
//   #if defined(MY_SERVICE_UNDER_COROSIM)
//   using tcp = corosim::asio::tcp;
//   #else
//   using tcp = asio::ip::tcp;
//   #endif
//   tcp::acceptor acceptor(executor, tcp::endpoint(tcp::v4(), 8080));
//   tcp::socket peer = co_await acceptor.async_accept(asio::use_awaitable);
//
// A connection is a corosim::asio::Stream pair (asio/stream.h), so what the
// network does — partial reads and writes, latency, resets — is explored
// per StreamOptions, which a Network sets for the connections it makes.
// Connecting to an endpoint nobody listens on fails with connection_refused;
// connections wait in the acceptor's queue (no backlog limit) until accepted;
// closing an acceptor resets the connections it never accepted. The network
// is the run's: listeners live while their acceptor does, and go with the
// Context.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <utility>

#include "corosim/asio/net.h"
#include "corosim/asio/stream.h"
#include "corosim/asio/tracking.h"

namespace corosim::asio {

struct tcp {
  using endpoint = net::ip::tcp::endpoint;
  static net::ip::tcp v4() noexcept { return net::ip::tcp::v4(); }
  static net::ip::tcp v6() noexcept { return net::ip::tcp::v6(); }

  class socket;
  class acceptor;

  // How the run's network behaves for the connections made after the call
  // (partial reads and writes on, no latency, no resets: StreamOptions).
  static void set_stream_options(StreamOptions options);
};

class tcp::socket {
 public:
  using executor_type = net::any_io_executor;
  using endpoint_type = tcp::endpoint;

  explicit socket(const executor_type& executor) : executor_(executor) {}
  socket(socket&& other) noexcept
      : executor_(other.executor_),
        stream_(std::move(other.stream_)),
        local_(other.local_),
        remote_(other.remote_) {}
  socket& operator=(socket&& other) noexcept {
    if (this != &other) {
      close();
      executor_ = other.executor_;
      stream_ = std::move(other.stream_);
      local_ = other.local_;
      remote_ = other.remote_;
    }
    return *this;
  }
  ~socket() { close(); }

  executor_type get_executor() const { return executor_; }
  bool is_open() const noexcept { return stream_ != nullptr; }
  endpoint_type local_endpoint() const { return local_; }
  endpoint_type remote_endpoint() const { return remote_; }

  // Completes with connection_refused when nobody listens on `peer`.
  template <class Token>
  auto async_connect(const endpoint_type& peer, Token&& token);
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token);
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token);

  // shutdown_send half-closes (the peer reads eof); shutdown_receive does nothing here.
  void shutdown(net::socket_base::shutdown_type what);
  // Pending reads complete with operation_aborted.
  void cancel();
  // cancel() and a half-close; later operations fail with bad_descriptor.
  void close();

 private:
  friend class tcp::acceptor;
  socket(const executor_type& executor, Stream stream, endpoint_type local, endpoint_type remote)
      : executor_(executor),
        stream_(std::make_unique<Stream>(std::move(stream))),
        local_(local),
        remote_(remote) {}
  // Connects to `peer` now: no error, or the error.
  net::error_code connect_now(const endpoint_type& peer);
  // A read or write on a socket not connected: bad_descriptor, posted.
  template <class Token>
  auto refuse_transfer(Token&& token);

  executor_type executor_;
  std::unique_ptr<Stream> stream_;  // null: not connected, or closed
  endpoint_type local_;
  endpoint_type remote_;
};

class tcp::acceptor {
 public:
  using executor_type = net::any_io_executor;
  using endpoint_type = tcp::endpoint;

  // Listens on `where` (port 0: a free port, which local_endpoint() says).
  // Throws asio's system_error (address_in_use) when another acceptor does.
  acceptor(const executor_type& executor, const endpoint_type& where);
  acceptor(const acceptor&) = delete;
  acceptor& operator=(const acceptor&) = delete;
  ~acceptor() { close(); }

  executor_type get_executor() const { return executor_; }
  bool is_open() const noexcept { return listener_ != nullptr; }
  endpoint_type local_endpoint() const { return local_; }

  // Completes with the next connection: void(error_code, tcp::socket).
  template <class Token>
  auto async_accept(Token&& token);
  // A pending accept completes with operation_aborted.
  void cancel();
  // cancel(), stop listening, reset the connections not accepted.
  void close();

  // What waits to be accepted; public for the network (tcp.cpp).
  struct PendingAccept : tracking::Tracked {
    virtual ~PendingAccept() { tracking::completed(*this); }
    virtual void complete(net::error_code error, tcp::socket peer, bool cancelled) = 0;
  };
  struct Listener {
    executor_type executor;
    endpoint_type local;
    std::deque<tcp::socket> connections;  // connected, not accepted yet
    std::unique_ptr<PendingAccept> waiting;
  };
  // Hands a queued connection to a waiting accept, if both are there.
  static void serve(Listener& listener);

 private:
  template <class Handler>
  struct PendingAcceptOf;
  struct CancelAccept;

  executor_type executor_;
  endpoint_type local_;
  std::shared_ptr<Listener> listener_;
};

// --- implementation -------------------------------------------------------------

template <class Token>
auto tcp::socket::async_connect(const endpoint_type& peer, Token&& token) {
  auto initiation = [this](auto handler, const endpoint_type& to) {
    detail::post_completion(std::move(handler), executor_, connect_now(to));
  };
  return net::async_initiate<Token, void(net::error_code)>(initiation, token, peer);
}

template <class Token>
auto tcp::socket::refuse_transfer(Token&& token) {
  auto refuse = [executor = executor_](auto handler) {
    detail::post_completion(std::move(handler), executor, net::error_code(net::error::bad_descriptor),
                            std::size_t{0});
  };
  return net::async_initiate<Token, void(net::error_code, std::size_t)>(refuse, token);
}

template <class MutableBuffers, class Token>
auto tcp::socket::async_read_some(const MutableBuffers& buffers, Token&& token) {
  if (!stream_) return refuse_transfer(std::forward<Token>(token));
  return stream_->async_read_some(buffers, std::forward<Token>(token));
}

template <class ConstBuffers, class Token>
auto tcp::socket::async_write_some(const ConstBuffers& buffers, Token&& token) {
  if (!stream_) return refuse_transfer(std::forward<Token>(token));
  return stream_->async_write_some(buffers, std::forward<Token>(token));
}

template <class Handler>
struct tcp::acceptor::PendingAcceptOf final : PendingAccept {
  PendingAcceptOf(Handler h, executor_type io) : handler(std::move(h)), io_executor(std::move(io)) {}
  void complete(net::error_code error, tcp::socket peer, bool cancelled) override {
    detail::complete_waiting(*this, handler, io_executor, cancelled, error, std::move(peer));
  }
  Handler handler;
  executor_type io_executor;
};

// Installed in a pending accept's cancellation slot: an accept that has not
// happened has no effect to undo, so every type is honoured.
struct tcp::acceptor::CancelAccept {
  std::weak_ptr<Listener> listener;
  void operator()(net::cancellation_type_t type) {
    const std::shared_ptr<Listener> state = listener.lock();
    if (!state || type == net::cancellation_type::none) return;
    std::unique_ptr<PendingAccept> waiting = std::move(state->waiting);
    if (waiting) waiting->complete(net::error::operation_aborted, tcp::socket(state->executor), true);
  }
};

template <class Token>
auto tcp::acceptor::async_accept(Token&& token) {
  auto initiation = [this](auto handler) {
    using Pending = PendingAcceptOf<std::decay_t<decltype(handler)>>;
    auto pending = std::make_unique<Pending>(std::move(handler), executor_);
    if (!listener_) {
      pending->complete(net::error::bad_descriptor, tcp::socket(executor_), false);
      return;
    }
    COROSIM_ASSERT(!listener_->waiting && "one accept at a time on an acceptor");
    tracking::created(*pending, &net::query(executor_, net::execution::context), "tcp::acceptor",
                      "async_accept");
    auto slot = net::get_associated_cancellation_slot(pending->handler);
    if (slot.is_connected()) slot.template emplace<CancelAccept>(CancelAccept{listener_});
    listener_->waiting = std::move(pending);
    serve(*listener_);
  };
  return net::async_initiate<Token, void(net::error_code, tcp::socket)>(initiation, token);
}

}  // namespace corosim::asio
