// merge: one stream of the items of several, in the order they arrive —
// Rust's stream::select / select_all, and the cancel-safe replacement for a
// loop that selects over several next() calls.
//
// Contract:
// - Each input has at most one pull in flight, kept across calls of next():
//   an item that arrives is never lost, even when the next() that was waiting
//   for it is cancelled (cancel-safety of next(): total, unlike a select loop
//   that drops the losing pulls).
// - next() gives the next item of any input, or nullopt once every input has
//   ended. An input's exception is rethrown from next() and that input ends.
// - Polling::driven (the default): the pulls run only while the owner awaits
//   next() (Rust's semantics); Polling::spawned: they run on their own.
#pragma once

#include <cstddef>
#include <optional>
#include <source_location>
#include <utility>
#include <vector>

#include "corosim/runtime/polled_set.h"
#include "corosim/runtime/stream.h"
#include "corosim/runtime/task.h"

namespace corosim {

template <class T>
class Merged {
 public:
  Merged(std::vector<Stream<T>> streams, Polling polling, const SourceLoc& where)
      : streams_(std::move(streams)), set_("merge", polling, where), where_(where) {}
  Merged(const Merged&) = delete;
  Merged& operator=(const Merged&) = delete;

  Task<std::optional<T>> next() {
    if (!armed_) {
      armed_ = true;
      for (std::size_t i = 0; i < streams_.size(); ++i) arm(i);
    }
    for (;;) {
      std::optional<Pulled> pulled = co_await set_.next();
      if (!pulled.has_value()) co_return std::nullopt;  // every input ended
      if (!pulled->item.has_value()) continue;          // this input ended
      arm(pulled->index);
      co_return std::move(pulled->item);
    }
  }

 private:
  struct Pulled {
    std::size_t index;
    std::optional<T> item;
  };
  Task<Pulled> pull(std::size_t index) {
    std::optional<T> item = co_await streams_[index].next();
    co_return Pulled{index, std::move(item)};
  }
  void arm(std::size_t index) { set_.push_at(pull(index), where_); }

  std::vector<Stream<T>> streams_;  // declared first: the pulls refer to them
  PolledSet<Pulled> set_;
  SourceLoc where_;
  bool armed_ = false;
};

template <class T>
Merged<T> merge(std::vector<Stream<T>> streams, Polling polling = Polling::driven,
                std::source_location where = std::source_location::current()) {
  return Merged<T>(std::move(streams), polling, SourceLoc::from(where));
}

template <class T>
Merged<T> merge(Stream<T> first, Stream<T> second,
                std::source_location where = std::source_location::current()) {
  std::vector<Stream<T>> streams;
  streams.push_back(std::move(first));
  streams.push_back(std::move(second));
  return Merged<T>(std::move(streams), Polling::driven, SourceLoc::from(where));
}

}  // namespace corosim
