#include "corosim/asio/tcp.h"

#include <map>
#include <system_error>
#include <utility>
#include <vector>

#include "corosim/asio/context.h"
#include "corosim/runtime/usage_error.h"

namespace corosim::asio {

namespace {

// The run's network: who listens on which port. Made on first use in a
// context and dropped when it shuts down.
struct Network {
  // By port: one listener per port, on any address or one.
  std::map<unsigned short, std::weak_ptr<tcp::acceptor::Listener>> listeners;
  unsigned short next_port = 49152;  // the ephemeral range
  StreamOptions options;

  unsigned short free_port() {
    while (listeners.contains(next_port)) ++next_port;
    return next_port++;
  }
};

thread_local Network* tls_network = nullptr;

Network& network(const char* what) {
  Context* context = Context::current();
  if (context == nullptr) {
    throw UsageError(std::string(what) + " is for simulated runs: use it inside an asio scenario");
  }
  if (tls_network == nullptr) {
    tls_network = new Network();
    // A waiting accept's handler owns its coroutine, which may own the
    // acceptor: drop what the listeners hold before asio's services go.
    context->at_shutdown([] {
      // What they own may close acceptors, which leave the network: it is
      // gone first.
      std::unique_ptr<Network> dying(std::exchange(tls_network, nullptr));
      std::vector<std::shared_ptr<tcp::acceptor::Listener>> alive;
      for (auto& [port, weak] : dying->listeners) {
        if (std::shared_ptr<tcp::acceptor::Listener> listener = weak.lock())
          alive.push_back(std::move(listener));
      }
      dying.reset();
      for (const std::shared_ptr<tcp::acceptor::Listener>& listener : alive) {
        std::unique_ptr<tcp::acceptor::PendingAccept> waiting = std::move(listener->waiting);
        std::deque<tcp::socket> connections = std::move(listener->connections);
      }
    });
  }
  return *tls_network;
}

}  // namespace

void tcp::set_stream_options(StreamOptions options) { network("corosim::asio::tcp").options = options; }

net::error_code tcp::socket::connect_now(const endpoint_type& peer) {
  if (stream_) return net::error::already_connected;
  Network& net_state = network("corosim::asio::tcp::socket");
  auto found = net_state.listeners.find(peer.port());
  std::shared_ptr<acceptor::Listener> listener;
  if (found != net_state.listeners.end()) listener = found->second.lock();
  if (!listener ||
      (!listener->local.address().is_unspecified() && listener->local.address() != peer.address())) {
    return net::error::connection_refused;
  }
  auto [mine, theirs] = make_stream_pair(executor_, net_state.options);
  local_ = endpoint_type(net::ip::make_address_v4("127.0.0.1"), net_state.free_port());
  remote_ = peer;
  stream_ = std::make_unique<Stream>(std::move(mine));
  listener->connections.push_back(tcp::socket(listener->executor, std::move(theirs), peer, local_));
  acceptor::serve(*listener);
  return {};
}

void tcp::socket::shutdown(net::socket_base::shutdown_type what) {
  if (stream_ && what != net::socket_base::shutdown_receive) stream_->shutdown_send();
}

void tcp::socket::cancel() {
  if (stream_) stream_->cancel();
}

void tcp::socket::close() {
  if (!stream_) return;
  stream_->cancel();
  stream_->shutdown_send();
  stream_.reset();
}

tcp::acceptor::acceptor(const executor_type& executor, const endpoint_type& where) : executor_(executor) {
  Network& net_state = network("corosim::asio::tcp::acceptor");
  local_ = where;
  if (local_.port() == 0) local_.port(net_state.free_port());
  auto found = net_state.listeners.find(local_.port());
  if (found != net_state.listeners.end() && !found->second.expired()) {
    throw std::system_error(net::error_code(net::error::address_in_use), "bind");
  }
  listener_ = std::make_shared<Listener>();
  listener_->executor = executor;
  listener_->local = local_;
  net_state.listeners[local_.port()] = listener_;
}

void tcp::acceptor::serve(Listener& listener) {
  if (!listener.waiting || listener.connections.empty()) return;
  std::unique_ptr<PendingAccept> waiting = std::move(listener.waiting);
  tcp::socket peer = std::move(listener.connections.front());
  listener.connections.pop_front();
  waiting->complete(net::error_code{}, std::move(peer), false);
}

void tcp::acceptor::cancel() {
  if (!listener_) return;
  std::unique_ptr<PendingAccept> waiting = std::move(listener_->waiting);
  if (waiting) waiting->complete(net::error::operation_aborted, tcp::socket(executor_), false);
}

void tcp::acceptor::close() {
  if (!listener_) return;
  cancel();
  // The connections nobody accepted are reset, as a closed listening socket's are.
  for (tcp::socket& unaccepted : listener_->connections) {
    if (unaccepted.stream_) unaccepted.stream_->reset();
  }
  listener_->connections.clear();
  if (tls_network != nullptr) tls_network->listeners.erase(local_.port());
  listener_.reset();
}

}  // namespace corosim::asio
