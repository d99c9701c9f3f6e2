// timeout/partial_write: a framed message written to a socket in chunks, under
// a timeout. When the timeout fires — or an owner cancels the write — between
// two chunks, half a frame is left on the wire and every frame after it is
// garbage to the peer.
//
// The fix: a writer fiber owns the socket and writes whole frames from a
// queue; callers put frames in the queue under the timeout, with reserve()
// then permit.send(), which cannot be cut in half.
#include <chrono>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"

namespace {

using corosim::Task;
using namespace std::chrono_literals;

const std::vector<std::string> kMessages = {"hello", "world!", "bye"};

// The socket: each chunk takes 1-2ms to go out.
struct Wire {
  std::string bytes;
};

Task<void> write_chunk(Wire& wire, std::string chunk) {
  co_await corosim::sleep_for(std::chrono::milliseconds(1 + corosim::random(2)));
  wire.bytes += chunk;
}

// A frame is "<length>:<payload>", written as a header and two-byte chunks.
Task<void> write_frame(Wire& wire, std::string payload) {
  co_await write_chunk(wire, std::to_string(payload.size()) + ":");
  for (std::size_t i = 0; i < payload.size(); i += 2) co_await write_chunk(wire, payload.substr(i, 2));
}

// What the peer reads: whole frames, or nullopt if the stream is corrupt.
std::optional<std::vector<std::string>> parse_frames(const std::string& bytes) {
  std::vector<std::string> frames;
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::size_t colon = bytes.find(':', at);
    if (colon == std::string::npos) return std::nullopt;
    std::size_t length = 0;
    for (std::size_t i = at; i < colon; ++i) {
      if (bytes[i] < '0' || bytes[i] > '9') return std::nullopt;
      length = length * 10 + static_cast<std::size_t>(bytes[i] - '0');
    }
    if (colon == at || colon + 1 + length > bytes.size()) return std::nullopt;
    frames.push_back(bytes.substr(colon + 1, length));
    at = colon + 1 + length;
  }
  return frames;
}

std::string check_message(const Wire& wire) { return "the peer reads \"" + wire.bytes + "\""; }

// The claim under test, checked with tokio's definition: writing one frame,
// cancelled anywhere and written again, must leave the peer the same stream
// as one uncancelled write.
std::string describe_wire(const Wire& wire) {
  return parse_frames(wire.bytes).has_value() ? "whole frames: " + wire.bytes
                                              : "corrupt stream: " + wire.bytes;
}

corosim::CancelSafetySpec<Wire> frame_spec() {
  corosim::CancelSafetySpec<Wire> spec;
  spec.claim = corosim::CancelSafety::total;
  spec.make = [] { return Wire{}; };
  spec.operation = [](Wire& wire) { return write_frame(wire, kMessages.front()); };
  spec.observe = describe_wire;
  return spec;
}

}  // namespace

CORO_SCENARIO("timeout/partial_write", corosim::fails_with(corosim::Checker::cancel_safety)) {
  co_await corosim::check_cancel_safety(frame_spec());
}

// The story end to end: messages written under a timeout; a late one is
// dropped mid-frame and the peer can no longer parse the stream.
CORO_SCENARIO("timeout/partial_write_loop", corosim::fails_with(corosim::Checker::check)) {
  Wire wire;
  for (const std::string& message : kMessages) {
    co_await corosim::timeout(7ms, write_frame(wire, message));  // a late message is dropped
  }
  CORO_CHECK_MSG(parse_frames(wire.bytes).has_value(), check_message(wire));
}

CORO_SCENARIO("timeout/partial_write_queued", corosim::passes()) {
  Wire wire;
  auto [queue, frames] = corosim::channel<std::string>(1);
  // The writer belongs to the connection, not to any one request: it is not
  // what the timeouts cancel.
  auto writer = corosim::spawn(
                    [&wire](corosim::Receiver<std::string> in) -> Task<void> {
                      while (auto frame = co_await in.recv()) co_await write_frame(wire, *frame);
                    },
                    std::move(frames))
                    .shield();
  std::vector<std::string> accepted;
  for (const std::string& message : kMessages) {
    // Named, not a temporary in the co_await: g++ 12 destroys a capturing
    // lambda temporary of a co_await expression twice (docs/runtime.md).
    auto enqueue = [&queue, &accepted, message]() -> Task<void> {
      auto permit = co_await queue.reserve();
      if (permit && permit->send(message)) accepted.push_back(message);
    };
    // A message that could not be queued in time is dropped.
    [[maybe_unused]] const bool queued = co_await corosim::timeout(7ms, enqueue());
  }
  {
    auto done = std::move(queue);
  }  // close: the writer drains and ends
  co_await writer;
  auto written = parse_frames(wire.bytes);
  CORO_CHECK_MSG(written.has_value(), check_message(wire));
  CORO_CHECK_MSG(written && *written == accepted, check_message(wire));
}
