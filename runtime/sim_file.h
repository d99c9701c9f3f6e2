// SimFile: a simulated file of records with a read position, read in batches
// with a latency — the `file` of the seed's read_send story.
//
// Contract:
// - read_batch(n) waits `latency` (a timer), then returns up to n records
//   from the position and advances it. The position moves only when the batch
//   is returned, so read_batch itself is cancel safe (total): dropped before
//   it returns, it has read nothing. What the caller does with a batch it was
//   handed is the caller's cancel-safety problem — which is the point.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

#include "corosim/runtime/task.h"
#include "corosim/runtime/time.h"

namespace corosim {

class SimFile {
 public:
  explicit SimFile(std::vector<int> records, Duration latency = std::chrono::milliseconds(1))
      : records_(std::move(records)), latency_(latency) {}

  Task<std::vector<int>> read_batch(std::size_t count) {
    co_await sleep_for(latency_);
    const std::size_t end = position_ + std::min(count, records_.size() - position_);
    std::vector<int> batch(records_.begin() + static_cast<std::ptrdiff_t>(position_),
                           records_.begin() + static_cast<std::ptrdiff_t>(end));
    position_ = end;
    co_return batch;
  }

  bool at_end() const noexcept { return position_ == records_.size(); }
  std::size_t position() const noexcept { return position_; }
  const std::vector<int>& records() const noexcept { return records_; }

 private:
  std::vector<int> records_;
  Duration latency_;
  std::size_t position_ = 0;
};

// PacketSource: packets arriving at given virtual times, like a socket.
// next() waits for the next arrival and returns its number, or nullopt when
// no packet is left. The packet is consumed only when next() returns it:
// cancel safe (total).
class PacketSource {
 public:
  explicit PacketSource(std::vector<Duration> arrivals) : arrivals_(std::move(arrivals)) {}

  Task<std::optional<int>> next() {
    if (next_ == arrivals_.size()) co_return std::nullopt;
    co_await sleep_until(arrivals_[next_]);
    co_return static_cast<int>(next_++);
  }

  bool exhausted() const noexcept { return next_ == arrivals_.size(); }

 private:
  std::vector<Duration> arrivals_;
  std::size_t next_ = 0;
};

}  // namespace corosim
