// The seed's stopped-control-flow story: read_send(file, channel) raced in a
// loop against packets from a socket with select. Whenever the other arm wins
// — or an owner cancels the arm — read_send is abandoned mid-batch, and the
// records it had read but not yet sent are gone: the file position has moved
// past them. Nothing crashes; data silently disappears.
//
// The fix keeps the batch in caller-owned state and sends each record through
// reserve-then-send, so that no suspension point lies between consuming a
// record and delivering it.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using namespace std::chrono_literals;

constexpr std::size_t kBatch = 4;

std::vector<int> numbered(int count) {
  std::vector<int> records;
  for (int i = 0; i < count; ++i) records.push_back(i);
  return records;
}

// Buggy: the batch lives in this frame; dropped between two sends, the rest of
// the batch is lost.
Task<void> read_send(corosim::SimFile& file, corosim::Sender<int>& out) {
  std::vector<int> batch = co_await file.read_batch(kBatch);
  for (int record : batch) co_await out.send(record);
}

// Fixed: the batch lives in the caller's state, and a record leaves it only
// in the same step as it enters the channel.
Task<void> read_send_owned(corosim::SimFile& file, std::deque<int>& pending, corosim::Sender<int>& out) {
  if (pending.empty()) {
    std::vector<int> batch = co_await file.read_batch(kBatch);
    pending.insert(pending.end(), batch.begin(), batch.end());
  }
  while (!pending.empty()) {
    auto permit = co_await out.reserve();
    if (!permit) co_return;  // the receiver is gone
    permit->send(pending.front());
    pending.pop_front();
  }
}

// The consumer is slow, so senders park on the full channel.
Task<void> consume(corosim::Receiver<int> in, std::vector<int>& received) {
  while (auto record = co_await in.recv()) {
    received.push_back(*record);
    co_await corosim::sleep_for(2ms);
  }
}

// The event loop of the story: until everything is read and passed on, race
// read_send against the next packet. Packets arrive late, so an unlucky
// cancellation — not the schedule alone — is what loses records. The consumer
// is harness, not the code under test: shielded from injected cancellation.
template <class ReadSend, class Finished>
Task<void> event_loop(ReadSend read_send_arm, Finished finished) {
  corosim::SimFile file(numbered(12));
  corosim::PacketSource packets({100ms, 200ms});
  auto [tx, rx] = corosim::channel<int>(1);
  std::vector<int> received;
  auto consumer = corosim::spawn(consume(std::move(rx), received)).shield();
  while (!finished(file)) {
    // A packet winning the race is handled elsewhere in the real program;
    // here it only matters that read_send lost. Once the socket is done (no
    // packet left: next() would return at once, forever), read_send runs alone.
    if (packets.exhausted()) {
      co_await read_send_arm(file, tx);
    } else {
      co_await corosim::select(read_send_arm(file, tx), packets.next());
    }
  }
  {
    auto done = std::move(tx);
  }  // closes the channel: the consumer drains and ends
  co_await consumer;
  const std::string lost = "the consumer received " + std::to_string(received.size()) + " of " +
                           std::to_string(file.records().size()) + " records";
  CORO_CHECK_MSG(received == file.records(), lost);  // one line: see docs/fuzzing.md
}

// The claim under test, checked with tokio's definition: one round of
// read_send, cancelled anywhere and run again, must leave the same file
// position and the same records in the channel as one uncancelled round.
struct Round {
  std::shared_ptr<corosim::SimFile> file = std::make_shared<corosim::SimFile>(numbered(12));
  std::shared_ptr<corosim::ChannelPair<int>> channel =
      std::make_shared<corosim::ChannelPair<int>>(corosim::unbounded_channel<int>());
  std::shared_ptr<std::deque<int>> pending = std::make_shared<std::deque<int>>();
};

std::string describe_round(const Round& round) {
  return "file at " + std::to_string(round.file->position()) + ", " +
         std::to_string(round.channel->receiver.sent()) + " sent, " + std::to_string(round.pending->size()) +
         " pending";
}

corosim::CancelSafetySpec<Round> round_spec(Task<void> (*round)(Round&)) {
  corosim::CancelSafetySpec<Round> spec;
  spec.claim = corosim::CancelSafety::total;
  spec.make = [] { return Round{}; };
  spec.operation = round;
  spec.observe = describe_round;
  return spec;
}

Task<void> buggy_round(Round& round) { return read_send(*round.file, round.channel->sender); }
Task<void> owned_round(Round& round) {
  return read_send_owned(*round.file, *round.pending, round.channel->sender);
}

}  // namespace

CORO_SCENARIO("select/read_send", corosim::fails_with(corosim::Checker::cancel_safety)) {
  co_await corosim::check_cancel_safety(round_spec(buggy_round));
}

CORO_SCENARIO("select/read_send_owned_batch", corosim::passes()) {
  co_await corosim::check_cancel_safety(round_spec(owned_round));
}

// The story end to end: the select loop loses records on the consumer's side.
CORO_SCENARIO("select/read_send_loop", corosim::fails_with(corosim::Checker::check)) {
  co_await event_loop([](corosim::SimFile& file, corosim::Sender<int>& out) { return read_send(file, out); },
                      [](const corosim::SimFile& file) { return file.at_end(); });
}

CORO_SCENARIO("select/read_send_loop_owned_batch", corosim::passes()) {
  auto pending = std::make_shared<std::deque<int>>();
  co_await event_loop([pending](corosim::SimFile& file,
                                corosim::Sender<int>& out) { return read_send_owned(file, *pending, out); },
                      [pending](const corosim::SimFile& file) { return file.at_end() && pending->empty(); });
}
