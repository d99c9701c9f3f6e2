// corosim::asio::ExternalCanceller: a declared canceller from outside the
// program — a client that disconnects, a supervisor that gives up — for asio
// code. Bind its slot where the program would receive that cancellation:
//
//   corosim::asio::ExternalCanceller disconnect;
//   asio::co_spawn(executor, handle_request(socket),
//                  asio::bind_cancellation_slot(disconnect.slot(), asio::detached));
//
// It may emit once, at any moment the run reaches while it lives: after each
// asio operation starts (once its initiation is done, as a step of its own),
// the moment is an external cancellation point, numbered with the native
// ones, where the run's cancellation plan (--cancel sweep/random, or none)
// decides whether it acts; the cancellation type is a decision among the
// declared ones. Nothing else emits on it: a correct program meets only the
// cancellation it declared (docs/cancellation.md's principle).
//
// Keep it alive while what is bound to its slot runs (asio's rule for a
// cancellation_signal). Points are counted while anything is bound: asio's
// co_spawn leaves its handler in the slot after the coroutine ends, so a
// sweep also visits moments after it finished, where emitting does nothing.
//
// asio's co_spawn passes only terminal cancellation into its coroutine unless
// the coroutine resets its cancellation state (this_coro::reset_cancellation_state),
// so declare the types the bound operation takes.
#pragma once

#include <cstdint>
#include <memory>
#include <source_location>
#include <utility>

#include "corosim/asio/net.h"
#include "corosim/executor/source_loc.h"

namespace corosim::asio {

class ExternalCanceller {
 public:
  explicit ExternalCanceller(net::cancellation_type_t types = net::cancellation_type::terminal |
                                                              net::cancellation_type::partial |
                                                              net::cancellation_type::total,
                             std::source_location where = std::source_location::current());
  ExternalCanceller(const ExternalCanceller&) = delete;
  ExternalCanceller& operator=(const ExternalCanceller&) = delete;
  ~ExternalCanceller();

  net::cancellation_slot slot();
  // The type it emitted (none: it has not).
  net::cancellation_type_t emitted() const noexcept;

  // The coroutine this canceller may cancel, watched for the cancel-liveness
  // checker: once it has emitted, `body` must finish (return or throw)
  // within SimOptions::stop_max_ns of virtual time (10 s by default), or the
  // run fails — a coroutine that catches operation_aborted and carries on, or
  // whose cleanup waits for something that never comes.
  //
  //   asio::co_spawn(executor, disconnect.watched(handle_request(socket)),
  //                  asio::bind_cancellation_slot(disconnect.slot(), asio::detached));
  template <class T>
  net::awaitable<T> watched(net::awaitable<T> body) {
    return watch(state_, std::move(body));
  }

  // Shared with the context's pending checks, which may outlive it.
  struct State {
    net::cancellation_signal signal;
    net::cancellation_type_t types;
    SourceLoc declared_at;
    net::cancellation_type_t emitted = net::cancellation_type::none;
    std::uint64_t emitted_at_ns = 0;
    bool alive = true;
    bool watching = false;  // watched() body started and not finished
    bool reported = false;  // cancel-liveness already reported
    // At an external point: emits if the plan acts here.
    void consider();
    // It emitted and the watched body has not finished (cancel-liveness), not yet reported.
    bool owes_finish() const noexcept {
      return emitted != net::cancellation_type::none && watching && !reported;
    }
  };

 private:
  template <class T>
  static net::awaitable<T> watch(std::shared_ptr<State> state, net::awaitable<T> body) {
    struct Finished {
      State& state;
      ~Finished() { state.watching = false; }
    };
    state->watching = true;
    Finished finished{*state};
    co_return co_await std::move(body);
  }

  std::shared_ptr<State> state_;
};

}  // namespace corosim::asio
