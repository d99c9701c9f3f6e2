// buffered / buffer_unordered: run up to n Tasks from a stream of Tasks at
// once and hand back their values — Rust's StreamExt::buffered and
// buffer_unordered, and their spawned fixes.
//
//   auto results = corosim::buffered(queries(), 3);
//   while (std::optional<Row> row = co_await results.next()) {
//     co_await process(*row);  // while this runs, the queries in flight do not
//   }
//
// Contract:
// - next() tops the in-flight set up to n from the source stream, then gives
//   the next value: in source order (buffered) or completion order
//   (buffer_unordered); nullopt when the source is exhausted and all values
//   were given. A Task's exception is rethrown from next().
// - buffered / buffer_unordered are poll-driven (Polling::driven): the Tasks in
//   flight run only while the owner awaits next(). A loop body that awaits
//   something else leaves them snoozed — the starvation of the seed's buffered
//   streams, reported by the snooze checker. buffered_spawned /
//   buffer_unordered_spawned run them as fibers of their own, which progress
//   while the body runs (the fix).
// - Cancel-safety of next(): total while it waits for a value (the Tasks keep
//   their progress). Cancelling it while it pulls from the source is what the
//   source's next() allows (a Stream generator: terminal).
#pragma once

#include <cstddef>
#include <optional>
#include <source_location>
#include <utility>

#include "corosim/runtime/polled_set.h"
#include "corosim/runtime/stream.h"
#include "corosim/runtime/task.h"

namespace corosim {

template <class T>
class Buffered {
  static_assert(!std::is_void_v<T>, "buffered needs Tasks that return a value");

 public:
  Buffered(Stream<Task<T>> source, std::size_t limit, bool in_order, Polling polling,
           const SourceLoc& where)
      : source_(std::move(source)),
        set_(in_order ? "buffered" : "buffer_unordered", polling, where),
        where_(where),
        limit_(limit == 0 ? 1 : limit),
        in_order_(in_order) {}
  Buffered(const Buffered&) = delete;
  Buffered& operator=(const Buffered&) = delete;

  Task<std::optional<T>> next() {
    while (!source_done_ && set_.size() < limit_) {
      std::optional<Task<T>> task = co_await source_.next();
      if (!task.has_value()) {
        source_done_ = true;
        break;
      }
      set_.push_at(std::move(*task), where_);
    }
    if (in_order_) co_return co_await set_.next_in_order();
    co_return co_await set_.next();
  }

  // Values not yet given: in flight or finished.
  std::size_t in_flight() const noexcept { return set_.size(); }
  Driver& driver() noexcept { return set_.driver(); }

 private:
  Stream<Task<T>> source_;
  PolledSet<T> set_;
  SourceLoc where_;
  std::size_t limit_;
  bool in_order_;
  bool source_done_ = false;
};

template <class T>
Buffered<T> buffered(Stream<Task<T>> source, std::size_t limit,
                     std::source_location where = std::source_location::current()) {
  return Buffered<T>(std::move(source), limit, true, Polling::driven, SourceLoc::from(where));
}
template <class T>
Buffered<T> buffer_unordered(Stream<Task<T>> source, std::size_t limit,
                             std::source_location where = std::source_location::current()) {
  return Buffered<T>(std::move(source), limit, false, Polling::driven, SourceLoc::from(where));
}
template <class T>
Buffered<T> buffered_spawned(Stream<Task<T>> source, std::size_t limit,
                             std::source_location where = std::source_location::current()) {
  return Buffered<T>(std::move(source), limit, true, Polling::spawned, SourceLoc::from(where));
}
template <class T>
Buffered<T> buffer_unordered_spawned(Stream<Task<T>> source, std::size_t limit,
                                     std::source_location where = std::source_location::current()) {
  return Buffered<T>(std::move(source), limit, false, Polling::spawned, SourceLoc::from(where));
}

}  // namespace corosim
