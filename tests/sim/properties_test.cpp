// Properties over generated programs: fibers doing channel, mutex, sleep and
// yield operations, explored under the random strategy.
//   (a) the same seed gives the same decision stream and trace hash;
//   (b) a channel delivers every sent item exactly once, in order per sender;
//   (c) every fiber finishes, or a checker reports the run.
#include <catch2/catch.hpp>
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <cstdint>
#include <map>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "tests/common/sim_helpers.h"

using corosim::Task;

namespace {

enum class OpKind { yield, sleep, send, lock_one, lock_two };

struct Op {
  OpKind kind;
  int a;  // sleep: microseconds; lock: first mutex
  int b;  // lock_two: second mutex
};

struct Program {
  int capacity;
  std::vector<std::vector<Op>> fibers;
};

// Sends are weighted up so that senders often fill the channel and park.
rc::Gen<Op> gen_op() {
  static constexpr OpKind kKinds[] = {OpKind::yield, OpKind::sleep,    OpKind::send,    OpKind::send,
                                      OpKind::send,  OpKind::lock_one, OpKind::lock_two};
  return rc::gen::apply([](int kind, int a, int b) { return Op{kKinds[kind], a, b}; }, rc::gen::inRange(0, 7),
                        rc::gen::inRange(0, 2), rc::gen::inRange(0, 2));
}

// What a run observed, filled in by the program itself.
struct Observed {
  std::map<int, std::vector<int>> sent;      // per fiber, values whose send returned true
  std::map<int, std::vector<int>> received;  // per sending fiber
  int finished = 0;
};

Task<void> run_fiber(const std::vector<Op>& ops, int id, corosim::Sender<std::pair<int, int>> out,
                     std::vector<corosim::Mutex>& mutexes, Observed& observed) {
  int sequence = 0;
  for (const Op& op : ops) {
    switch (op.kind) {
      case OpKind::yield: co_await corosim::yield_now(); break;
      case OpKind::sleep: co_await corosim::sleep_for(std::chrono::microseconds(op.a)); break;
      case OpKind::send: {
        const int value = sequence++;
        if (co_await out.send({id, value})) observed.sent[id].push_back(value);
        break;
      }
      case OpKind::lock_one: {
        auto guard = co_await mutexes[op.a].lock();
        co_await corosim::yield_now();
        break;
      }
      case OpKind::lock_two: {
        auto first = co_await mutexes[op.a].lock();
        co_await corosim::yield_now();  // a window for lock-order deadlocks
        if (op.b != op.a) auto second = co_await mutexes[op.b].lock();
        break;
      }
    }
  }
  ++observed.finished;
}

corosim::MainFactory program_main(const Program& program, Observed& observed) {
  return [&program, &observed]() -> Task<void> {
    std::vector<corosim::Mutex> mutexes(2);
    auto [tx, rx] = corosim::channel<std::pair<int, int>>(static_cast<std::size_t>(program.capacity));
    corosim::TaskScope scope;
    for (std::size_t i = 0; i < program.fibers.size(); ++i) {
      scope.spawn(run_fiber(program.fibers[i], static_cast<int>(i), tx, mutexes, observed));
    }
    {
      auto last = std::move(tx);
    }  // the channel closes when every fiber is done
    while (auto item = co_await rx.recv()) observed.received[item->first].push_back(item->second);
    co_await scope.join();
  };
}

Program draw_program() {
  Program program;
  program.capacity = *rc::gen::inRange(1, 4);
  const int fibers = *rc::gen::inRange(1, 5);
  for (int i = 0; i < fibers; ++i) {
    const auto length = *rc::gen::inRange<std::size_t>(0, 12);
    program.fibers.push_back(*rc::gen::container<std::vector<Op>>(length, gen_op()));
  }
  return program;
}

}  // namespace

TEST_CASE("property: same seed gives the same decisions and trace hash", "[sim][property]") {
  rc::prop("replays exactly", [] {
    const Program program = draw_program();
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    Observed first_seen;
    Observed second_seen;
    auto first = corosim::testing::run_random(program_main(program, first_seen), seed);
    auto second = corosim::testing::run_random(program_main(program, second_seen), seed);
    RC_ASSERT(first.trace_hash == second.trace_hash);
    RC_ASSERT(first.decisions == second.decisions);
    RC_ASSERT(first.steps == second.steps);
    RC_ASSERT(first_seen.received == second_seen.received);
  });
}

TEST_CASE("property: a channel delivers every item exactly once and in order per sender", "[sim][property]") {
  rc::prop("exactly once, in order", [] {
    const Program program = draw_program();
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    Observed seen;
    auto result = corosim::testing::run_random(program_main(program, seen), seed);
    // A deadlocked run stops early; delivery is judged on completed runs.
    RC_PRE(result.passed());
    RC_ASSERT(seen.received == seen.sent);
  });
}

TEST_CASE("property: every fiber finishes or a checker reports the run", "[sim][property]") {
  rc::prop("no silent hang", [] {
    const Program program = draw_program();
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    Observed seen;
    auto result = corosim::testing::run_random(program_main(program, seen), seed);
    if (result.passed()) {
      RC_ASSERT(seen.finished == static_cast<int>(program.fibers.size()));
    } else {
      // Only a lock-order deadlock can stop these programs.
      RC_ASSERT(result.failure->checker == corosim::Checker::deadlock);
    }
  });
}
