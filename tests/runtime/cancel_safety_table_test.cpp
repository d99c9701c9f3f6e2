// The cancel-safety table of docs/cancel-safety.md, row by row. Each row
// sweeps check_cancel_safety over every cancellation point of one awaitable
// operation, in each mode, and asserts the strongest class that holds — so the
// table can neither overstate nor understate what the code does.
//
// Every operation is made to park (a shielded helper fiber releases it after
// 1ms), so cancellation lands while it is pending as well as when it completes.
// The retry is the operation once more.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/cancel_table.h"
#include "tests/common/sweep.h"

using corosim::CancelMode;
using corosim::CancelSafety;
using corosim::CancelSafetySpec;
using corosim::JoinHandle;
using corosim::Task;
using namespace std::chrono_literals;

namespace {
using corosim::testing::after_1ms;
using corosim::testing::classify;
using corosim::testing::require_classes;
constexpr CancelSafety kTotal = CancelSafety::total;
constexpr CancelSafety kTerminal = CancelSafety::terminal;
constexpr CancelSafety kUnsafe = CancelSafety::unsafe;
}  // namespace

TEST_CASE("cancel-safety table: Mutex::lock", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<corosim::Mutex> mutex = std::make_shared<corosim::Mutex>();
    std::shared_ptr<corosim::Mutex::Guard> held = std::make_shared<corosim::Mutex::Guard>();
    JoinHandle<void> releaser;
    int acquired = 0;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] {
                      State state;
                      state.mutex->try_lock();
                      *state.held = corosim::Mutex::Guard(*state.mutex);
                      state.releaser = after_1ms([held = state.held] { held->unlock(); });
                      return state;
                    };
                    spec.operation = [](State& state) -> Task<void> {
                      auto guard = co_await state.mutex->lock();
                      ++state.acquired;
                    };
                    spec.observe = [](const State& state) {
                      return std::to_string(state.acquired) + (state.mutex->is_locked() ? " locked" : "");
                    };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: Semaphore::acquire", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<corosim::Semaphore> permits = std::make_shared<corosim::Semaphore>(1);
    JoinHandle<void> releaser;
    int acquired = 0;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] {
                      State state;
                      state.permits->try_acquire();
                      state.releaser = after_1ms([permits = state.permits] { permits->release(); });
                      return state;
                    };
                    spec.operation = [](State& state) -> Task<void> {
                      auto permit = co_await state.permits->acquire();
                      ++state.acquired;
                    };
                    spec.observe = [](const State& state) {
                      return std::to_string(state.acquired) + " " +
                             std::to_string(state.permits->available());
                    };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: Event::wait", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<corosim::Event> event = std::make_shared<corosim::Event>();
    JoinHandle<void> setter;
    int woken = 0;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] {
                      State state;
                      state.setter = after_1ms([event = state.event] { event->set(); });
                      return state;
                    };
                    spec.operation = [](State& state) -> Task<void> {
                      co_await state.event->wait();
                      ++state.woken;
                    };
                    spec.observe = [](const State& state) { return std::to_string(state.woken); };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

namespace {
struct ChannelState {
  std::shared_ptr<corosim::ChannelPair<int>> channel =
      std::make_shared<corosim::ChannelPair<int>>(corosim::channel<int>(1));
  JoinHandle<void> helper;
  std::vector<int> got;
};
std::string channel_ledger(const ChannelState& state) {
  std::string out = "sent " + std::to_string(state.channel->receiver.sent()) + " got";
  for (int item : state.got) out += " " + std::to_string(item);
  return out;
}
// The channel starts full; a helper frees the slot after 1ms, so a sender parks.
ChannelState full_channel_drained_after_1ms() {
  ChannelState state;
  state.channel->sender.try_send(1);
  state.helper = after_1ms([channel = state.channel] { channel->receiver.try_recv(); });
  return state;
}
// The same, with a second slot freed 1ms later, which a retry needs.
ChannelState full_channel_drained_twice() {
  ChannelState state;
  state.channel->sender.try_send(1);
  state.helper = corosim::spawn([channel = state.channel]() -> Task<void> {
                   co_await corosim::sleep_for(1ms);
                   channel->receiver.try_recv();
                   co_await corosim::sleep_for(1ms);
                   channel->receiver.try_recv();
                 }).shield();
  return state;
}
}  // namespace

TEST_CASE("cancel-safety table: Receiver::recv", "[cancel_safety][table]") {
  require_classes(classify<ChannelState>([] {
                    CancelSafetySpec<ChannelState> spec;
                    spec.make = [] {
                      ChannelState state;
                      state.helper = after_1ms([channel = state.channel] { channel->sender.try_send(7); });
                      return state;
                    };
                    spec.operation = [](ChannelState& state) -> Task<void> {
                      auto item = co_await state.channel->receiver.recv();
                      if (item) state.got.push_back(*item);
                    };
                    spec.observe = channel_ledger;
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: Sender::send", "[cancel_safety][table]") {
  // The channel starts full; the helper frees the slot after 1ms, and again
  // after 2ms so that a retry can complete too. A prompt cancellation lands
  // after the value was handed over: the retry sends it a second time, and
  // the ledger shows one value more than the uncancelled run's.
  require_classes(classify<ChannelState>([] {
                    CancelSafetySpec<ChannelState> spec;
                    spec.make = full_channel_drained_twice;
                    spec.operation = [](ChannelState& state) -> Task<void> {
                      co_await state.channel->sender.send(2);
                    };
                    spec.observe = channel_ledger;
                    return spec;
                  }),
                  kTotal, kTotal, kUnsafe, kTotal);
}

TEST_CASE("cancel-safety table: Sender::reserve then SendPermit::send", "[cancel_safety][table]") {
  require_classes(classify<ChannelState>([] {
                    CancelSafetySpec<ChannelState> spec;
                    spec.make = full_channel_drained_after_1ms;
                    spec.operation = [](ChannelState& state) -> Task<void> {
                      auto permit = co_await state.channel->sender.reserve();
                      if (permit) permit->send(2);
                    };
                    spec.observe = channel_ledger;
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

corosim::Stream<int> ticks() {
  co_await corosim::sleep_for(1ms);
  co_yield 1;
  co_await corosim::sleep_for(1ms);
  co_yield 2;
}

TEST_CASE("cancel-safety table: Stream::next of a generator that awaits", "[cancel_safety][table]") {
  // Honestly terminal: cancelled while the body is inside its await, next()
  // loses the body and the item in flight, and every later next() throws
  // Cancelled — the stream rejects use rather than silently skipping an item.
  struct State {
    std::shared_ptr<corosim::Stream<int>> numbers = std::make_shared<corosim::Stream<int>>(ticks());
    std::vector<int> got;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] { return State{}; };
                    spec.operation = [](State& state) -> Task<void> {
                      auto item = co_await state.numbers->next();
                      if (item) state.got.push_back(*item);
                    };
                    spec.observe = [](const State& state) {
                      std::string out = "got";
                      for (int item : state.got) out += " " + std::to_string(item);
                      return out;
                    };
                    spec.rejects_use = [](const State& state) { return state.numbers->broken(); };
                    return spec;
                  }),
                  kTerminal, kTerminal, kTerminal, kTerminal);
}

TEST_CASE("cancel-safety table: oneshot recv", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<corosim::OneshotPair<int>> shot =
        std::make_shared<corosim::OneshotPair<int>>(corosim::oneshot<int>());
    JoinHandle<void> sender;
    std::vector<int> got;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] {
                      State state;
                      state.sender = after_1ms([shot = state.shot] { shot->sender.send(5); });
                      return state;
                    };
                    spec.operation = [](State& state) -> Task<void> {
                      auto value = co_await state.shot->receiver.recv();
                      if (value) state.got.push_back(*value);
                    };
                    spec.observe = [](const State& state) { return std::to_string(state.got.size()); };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: sleep_for", "[cancel_safety][table]") {
  struct State {
    int slept = 0;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] { return State{}; };
                    spec.operation = [](State& state) -> Task<void> {
                      co_await corosim::sleep_for(1ms);
                      ++state.slept;
                    };
                    spec.observe = [](const State& state) { return std::to_string(state.slept); };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: JoinHandle await", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<JoinHandle<int>> worker = std::make_shared<JoinHandle<int>>();
    int value = 0;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] {
                      State state;
                      *state.worker = corosim::spawn([]() -> Task<int> {
                                        co_await corosim::sleep_for(1ms);
                                        co_return 42;
                                      }).shield();
                      return state;
                    };
                    spec.operation = [](State& state) -> Task<void> { state.value = co_await *state.worker; };
                    spec.observe = [](const State& state) { return std::to_string(state.value); };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: SimFile::read_batch", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<corosim::SimFile> file = std::make_shared<corosim::SimFile>(std::vector<int>{1, 2, 3, 4});
    std::vector<int> got;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] { return State{}; };
                    spec.operation = [](State& state) -> Task<void> {
                      auto batch = co_await state.file->read_batch(2);
                      state.got.insert(state.got.end(), batch.begin(), batch.end());
                    };
                    spec.observe = [](const State& state) {
                      return std::to_string(state.got.size()) + " at " +
                             std::to_string(state.file->position());
                    };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: yield_now", "[cancel_safety][table]") {
  struct State {
    int yielded = 0;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] { return State{}; };
                    spec.operation = [](State& state) -> Task<void> {
                      co_await corosim::yield_now();
                      ++state.yielded;
                    };
                    spec.observe = [](const State& state) { return std::to_string(state.yielded); };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: TaskScope::join", "[cancel_safety][table]") {
  // The scope's child is harness (shielded); the operation joins it.
  struct State {
    std::shared_ptr<corosim::TaskScope> scope = std::make_shared<corosim::TaskScope>();
    std::shared_ptr<int> finished = std::make_shared<int>(0);
    int joined = 0;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] {
                      State state;
                      state.scope->spawn(corosim::shielded([](std::shared_ptr<int> finished) -> Task<void> {
                        co_await corosim::sleep_for(1ms);
                        ++*finished;
                      }(state.finished)));
                      return state;
                    };
                    spec.operation = [](State& state) -> Task<void> {
                      co_await state.scope->join();
                      ++state.joined;
                    };
                    spec.observe = [](const State& state) {
                      return std::to_string(*state.finished) + " " + std::to_string(state.joined);
                    };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: select and timeout", "[cancel_safety][table]") {
  // The await of select/timeout itself: its arms are shielded here, since a
  // cancelled arm simply loses (docs/cancellation.md). Cancelled anywhere, a
  // retry races anew and the same arm wins.
  struct State {
    int winner = -1;
    int timed_out = 0;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] { return State{}; };
                    spec.operation = [](State& state) -> Task<void> {
                      auto slow = []() -> Task<int> {
                        co_await corosim::sleep_for(3ms);
                        co_return 0;
                      };
                      auto fast = []() -> Task<int> {
                        co_await corosim::sleep_for(1ms);
                        co_return 1;
                      };
                      auto winner =
                          co_await corosim::select(corosim::shielded(slow()), corosim::shielded(fast()));
                      state.winner = static_cast<int>(winner.index());
                      auto late = co_await corosim::timeout(1ms, corosim::shielded(slow()));
                      if (!late) ++state.timed_out;
                    };
                    spec.observe = [](const State& state) {
                      return std::to_string(state.winner) + " " + std::to_string(state.timed_out);
                    };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: PacketSource::next", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<corosim::PacketSource> packets =
        std::make_shared<corosim::PacketSource>(std::vector<corosim::Duration>{1ms, 2ms});
    std::vector<int> got;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] { return State{}; };
                    spec.operation = [](State& state) -> Task<void> {
                      auto packet = co_await state.packets->next();
                      if (packet) state.got.push_back(*packet);
                    };
                    spec.observe = [](const State& state) {
                      std::string out;
                      for (int packet : state.got) out += std::to_string(packet) + " ";
                      return out;
                    };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: join_all and cancellable", "[cancel_safety][table]") {
  // As select: the awaits themselves, with the member Tasks shielded.
  struct State {
    int sum = 0;
    int completed = 0;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] { return State{}; };
                    spec.operation = [](State& state) -> Task<void> {
                      auto value = [](int v) -> Task<int> {
                        co_await corosim::sleep_for(std::chrono::milliseconds(v));
                        co_return v;
                      };
                      std::vector<Task<int>> members;
                      members.push_back(corosim::shielded(value(1)));
                      members.push_back(corosim::shielded(value(2)));
                      const std::vector<int> values = co_await corosim::join_all(std::move(members));
                      int sum = 0;
                      for (int v : values) sum += v;
                      auto inner = co_await corosim::cancellable(corosim::shielded(value(3)));
                      state.sum = sum + inner.value_or(0);
                      ++state.completed;
                    };
                    spec.observe = [](const State& state) {
                      return std::to_string(state.sum) + " " + std::to_string(state.completed);
                    };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: awaiting a child Task", "[cancel_safety][table]") {
  struct State {
    int done = 0;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] { return State{}; };
                    spec.operation = [](State& state) -> Task<void> {
                      auto child = [](State& s) -> Task<void> {
                        co_await corosim::sleep_for(1ms);
                        ++s.done;
                      };
                      co_await child(state);
                    };
                    spec.observe = [](const State& state) { return std::to_string(state.done); };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

namespace {
Task<int> value_after_1ms(int value) {
  co_await corosim::sleep_for(1ms);
  co_return value;
}
corosim::Stream<int> one_item_after_1ms(int value) {
  co_await corosim::sleep_for(1ms);
  co_yield value;
}
}  // namespace

TEST_CASE("cancel-safety table: PolledSet::next", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<corosim::PolledSet<int>> set = std::make_shared<corosim::PolledSet<int>>();
    std::vector<int> got;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] {
                      State state;
                      state.set->push(value_after_1ms(5));
                      return state;
                    };
                    spec.operation = [](State& state) -> Task<void> {
                      std::optional<int> value = co_await state.set->next();
                      if (value) state.got.push_back(*value);
                    };
                    spec.observe = [](const State& state) {
                      return std::to_string(state.got.size()) + " got, " + std::to_string(state.set->size()) +
                             " left";
                    };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: merge next", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<corosim::Merged<int>> merged;
    std::vector<int> got;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] {
                      std::vector<corosim::Stream<int>> inputs;
                      inputs.push_back(one_item_after_1ms(1));
                      inputs.push_back(one_item_after_1ms(2));
                      return State{std::make_shared<corosim::Merged<int>>(
                                       std::move(inputs), corosim::Polling::driven, corosim::SourceLoc{}),
                                   {}};
                    };
                    spec.operation = [](State& state) -> Task<void> {
                      std::optional<int> item = co_await state.merged->next();
                      if (item) state.got.push_back(*item);
                    };
                    spec.observe = [](const State& state) {
                      return std::to_string(state.got.size()) + " got";
                    };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: Pollable await", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<corosim::Pollable<int>> pollable;
    int value = 0;
  };
  require_classes(
      classify<State>([] {
        CancelSafetySpec<State> spec;
        spec.make = [] { return State{std::make_shared<corosim::Pollable<int>>(value_after_1ms(42)), 0}; };
        spec.operation = [](State& state) -> Task<void> { state.value = co_await *state.pollable; };
        spec.observe = [](const State& state) { return std::to_string(state.value); };
        return spec;
      }),
      kTotal, kTotal, kTotal, kTotal);
}

namespace {
struct Connection {
  std::shared_ptr<int> closes;
  Task<void> async_close() {
    co_await corosim::sleep_for(1ms);
    ++*closes;
  }
};
}  // namespace

TEST_CASE("cancel-safety table: Scoped::close", "[cancel_safety][table]") {
  struct State {
    std::shared_ptr<int> closes = std::make_shared<int>(0);
    std::shared_ptr<corosim::Scoped<Connection>> guard;
  };
  require_classes(classify<State>([] {
                    CancelSafetySpec<State> spec;
                    spec.make = [] {
                      State state;
                      state.guard = std::make_shared<corosim::Scoped<Connection>>(
                          std::make_shared<Connection>(Connection{state.closes}), corosim::SourceLoc{});
                      return state;
                    };
                    spec.operation = [](State& state) -> Task<void> { co_await state.guard->close(); };
                    spec.observe = [](const State& state) {
                      return std::to_string(*state.closes) + " close(s)";
                    };
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}
