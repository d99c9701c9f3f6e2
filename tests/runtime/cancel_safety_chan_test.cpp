// The cancel-safety table's rows for Go's vocabulary: Chan's send and recv,
// and choose over channel operations (docs/cancel-safety.md). As in
// cancel_safety_table_test.cpp, each operation is made to park first: a
// shielded helper fiber (harness, not under test) is its partner after 1ms.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/cancel_table.h"

using corosim::Chan;
using corosim::JoinHandle;
using corosim::Task;
using corosim::testing::classify;
using corosim::testing::require_classes;
using namespace std::chrono_literals;

namespace {

constexpr corosim::CancelSafety kTotal = corosim::CancelSafety::total;
constexpr corosim::CancelSafety kUnsafe = corosim::CancelSafety::unsafe;

struct ChanState {
  Chan<int> chan = corosim::make_chan<int>();
  Chan<int> other = corosim::make_chan<int>();
  std::shared_ptr<std::vector<int>> got = std::make_shared<std::vector<int>>();
  JoinHandle<void> helper;
};

std::string chan_ledger(const ChanState& state) {
  std::string out = "sent " + std::to_string(state.chan.sent() + state.other.sent()) + " got";
  for (int value : *state.got) out += " " + std::to_string(value);
  return out;
}

// A shielded helper: after 1ms it sends 7 on chan, waiting for a receiver.
ChanState sent_after_1ms() {
  ChanState state;
  state.helper = corosim::spawn([chan = state.chan]() -> Task<void> {
                   co_await corosim::sleep_for(1ms);
                   co_await chan.send(7);
                 }).shield();
  return state;
}

}  // namespace

TEST_CASE("cancel-safety table: Chan::recv", "[cancel_safety][table][chan]") {
  // A value handed to a receiver that is cancelled before it resumes goes
  // back to the channel, where the retry finds it.
  require_classes(classify<ChanState>([] {
                    corosim::CancelSafetySpec<ChanState> spec;
                    spec.make = sent_after_1ms;
                    spec.operation = [](ChanState& state) -> Task<void> {
                      auto value = co_await state.chan.recv();
                      if (value) state.got->push_back(*value);
                    };
                    spec.observe = chan_ledger;
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}

TEST_CASE("cancel-safety table: Chan::send", "[cancel_safety][table][chan]") {
  // Unbuffered: the helper takes a waiting sender's value at 1ms and again at
  // 2ms (for a retry). Prompt lands after the value was taken: the retry
  // sends it a second time.
  require_classes(classify<ChanState>([] {
                    corosim::CancelSafetySpec<ChanState> spec;
                    spec.make = [] {
                      ChanState state;
                      state.helper = corosim::spawn([chan = state.chan, got = state.got]() -> Task<void> {
                                       for (int i = 0; i < 2; ++i) {
                                         co_await corosim::sleep_for(1ms);
                                         if (auto value = chan.try_recv()) got->push_back(*value);
                                       }
                                     }).shield();
                      return state;
                    };
                    spec.operation = [](ChanState& state) -> Task<void> { co_await state.chan.send(2); };
                    spec.observe = chan_ledger;
                    return spec;
                  }),
                  kTotal, kTotal, kUnsafe, kTotal);
}

TEST_CASE("cancel-safety table: choose over receives", "[cancel_safety][table][chan]") {
  // The case that did not win leaves its channel alone, and a value handed to
  // a cancelled choose goes back: the retry chooses again and finds it.
  require_classes(classify<ChanState>([] {
                    corosim::CancelSafetySpec<ChanState> spec;
                    spec.make = sent_after_1ms;
                    spec.operation = [](ChanState& state) -> Task<void> {
                      auto got = co_await corosim::choose(corosim::recv_from(state.other),
                                                          corosim::recv_from(state.chan));
                      if (got.index() == 1 && std::get<1>(got)) state.got->push_back(*std::get<1>(got));
                    };
                    spec.observe = chan_ledger;
                    return spec;
                  }),
                  kTotal, kTotal, kTotal, kTotal);
}
