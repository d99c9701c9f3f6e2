// SCTBench CS benchmarks, part 2: orderings, flags and condition variables —
// reorder_3/5/10/20, token_ring, bluetooth_driver, stack, queue, sync01,
// arithmetic_prog. Ported by the rule in port.h; each with a fixed twin.
#include <array>
#include <vector>

#include "corosim/runtime/corosim.h"
#include "corosim/scenarios/registry.h"
#include "corosim/scenarios/sctbench/port.h"

namespace {

using corosim::CondVar;
using corosim::JoinHandle;
using corosim::Mutex;
using corosim::Task;
using corosim::sctbench::point;
using corosim::sctbench::point_on;
using corosim::sctbench::Shared;
using corosim::sctbench::unlock;

// --- reorder_N: two writes another thread must not see half done ----------------------
// N - 1 setters write a = 1 then b = -1; the checker expects (0, 0) or
// (1, -1). It sees (1, 0) only between the first setter's two writes, before
// any setter's second write: a window that shrinks as setters are added.
// Fixed: setters and the checker hold one lock.
struct Reorder {
  Mutex lock;
  Shared<int> a;
  Shared<int> b;
};

Task<void> set_pair(Reorder& state, bool fixed) {
  Mutex::Guard guard;
  if (fixed) guard = co_await state.lock.lock();
  co_await state.a.store(1);
  co_await state.b.store(-1);
  if (fixed) co_await unlock(guard);
}

// (a == 0 && b == 0) || (a == 1 && b == -1), read as C evaluates it.
Task<bool> pair_consistent(Reorder& state) {
  const int a = co_await state.a.load();
  if (a == 0) {
    const int b = co_await state.b.load();
    if (b == 0) co_return true;
  }
  const int a_again = co_await state.a.load();
  if (a_again != 1) co_return false;
  const int b = co_await state.b.load();
  co_return b == -1;
}

Task<void> check_pair(Reorder& state, bool fixed) {
  Mutex::Guard guard;
  if (fixed) guard = co_await state.lock.lock();
  const bool consistent = co_await pair_consistent(state);
  CORO_CHECK_MSG(consistent, "the checker saw one of a setter's two writes without the other");
  if (fixed) co_await unlock(guard);
}

Task<void> reorder(int threads, bool fixed) {
  Reorder state;
  std::vector<JoinHandle<void>> all;
  for (int i = 0; i + 1 < threads; ++i) {
    all.push_back(corosim::spawn(set_pair(state, fixed)));
    co_await point();
  }
  all.push_back(corosim::spawn(check_pair(state, fixed)));
  co_await point();
  for (JoinHandle<void>& thread : all) co_await thread;
}

// --- token_ring: three atomic steps that agree only in ring order ---------------------
// Each step copies its predecessor's value (x1 = (x3 + 1) % 4, x2 = x1, x3 =
// x2) in an atomic section and raises its flag; a fourth thread checks, once
// all flags are up, that the three agree: only the order 1, 2, 3 makes them.
// Fixed: each step waits for its predecessor to pass the token.
struct Ring {
  Mutex atomic;
  Shared<int> x1{1};
  Shared<int> x2{2};
  Shared<int> x3{1};
  Shared<bool> flag1;
  Shared<bool> flag2;
  Shared<bool> flag3;
  corosim::Event passed1;
  corosim::Event passed2;
};

Task<void> ring_step(Ring& ring, Shared<int>& from, Shared<int>& to, int add, Shared<bool>& flag,
                     corosim::Event* wait_for, corosim::Event* pass_to) {
  if (wait_for != nullptr) co_await wait_for->wait();
  auto guard = co_await ring.atomic.lock();
  const int value = co_await from.load();
  co_await to.store((value + add) % 4);
  co_await flag.store(true);
  co_await unlock(guard);
  if (pass_to != nullptr) {
    co_await point_on(pass_to->id());
    pass_to->set();
  }
}

Task<void> ring_check(Ring& ring) {
  auto guard = co_await ring.atomic.lock();
  // flag1 && flag2 && flag3, read as C evaluates it.
  bool all = co_await ring.flag1.load();
  if (all) all = co_await ring.flag2.load();
  if (all) all = co_await ring.flag3.load();
  if (all) {
    const int x1 = co_await ring.x1.load();
    const int x2 = co_await ring.x2.load();
    const int x3 = co_await ring.x3.load();
    CORO_CHECK_MSG(x1 == x2 && x2 == x3, "the ring's steps ran out of order");
  }
  co_await unlock(guard);
}

Task<void> token_ring(bool fixed) {
  Ring ring;
  corosim::Event* passed1 = fixed ? &ring.passed1 : nullptr;
  corosim::Event* passed2 = fixed ? &ring.passed2 : nullptr;
  auto t1 = corosim::spawn(ring_step(ring, ring.x3, ring.x1, 1, ring.flag1, nullptr, passed1));
  co_await point();
  auto t2 = corosim::spawn(ring_step(ring, ring.x1, ring.x2, 0, ring.flag2, passed1, passed2));
  co_await point();
  auto t3 = corosim::spawn(ring_step(ring, ring.x2, ring.x3, 0, ring.flag3, passed2, nullptr));
  co_await point();
  auto t4 = corosim::spawn(ring_check(ring));
  co_await point();
  co_await t1;
  co_await t2;
  co_await t3;
  co_await t4;
}

// --- bluetooth_driver: a stop that slips between an I/O's check and its count ---------
// Adding I/O checks stoppingFlag, then counts itself in; a stop raises the
// flag, counts out the driver's own reference and, at zero, declares the
// device stopped — which the I/O, counted in after its check, then sees.
// Fixed: the check and the count are one atomic step, and so is raising the flag.
struct Device {
  Mutex atomic;
  Shared<int> pending_io{1};
  Shared<bool> stopping_flag;
  Shared<bool> stopping_event;
  Shared<bool> stopped;
};

Task<int> io_increment(Device& device, bool fixed) {
  if (!fixed) {
    const bool stopping = co_await device.stopping_flag.load();
    if (stopping) co_return -1;
  }
  auto guard = co_await device.atomic.lock();
  if (fixed) {
    const bool stopping = co_await device.stopping_flag.load();
    if (stopping) {
      co_await unlock(guard);
      co_return -1;
    }
  }
  const int pending = co_await device.pending_io.load();
  co_await device.pending_io.store(pending + 1);
  co_await unlock(guard);
  co_return 0;
}

Task<void> io_decrement(Device& device) {
  auto guard = co_await device.atomic.lock();
  const int pending = co_await device.pending_io.load();
  co_await device.pending_io.store(pending - 1);
  const int left = co_await device.pending_io.load();
  co_await unlock(guard);
  if (left == 0) co_await device.stopping_event.store(true);
}

Task<void> pnp_add(Device& device, bool fixed) {
  const int status = co_await io_increment(device, fixed);
  if (status == 0) {
    const bool stopped = co_await device.stopped.load();
    CORO_CHECK_MSG(!stopped, "I/O was admitted on a stopped device");
  }
  co_await io_decrement(device);
}

Task<void> pnp_stop(Device& device, bool fixed) {
  if (fixed) {
    auto guard = co_await device.atomic.lock();
    co_await device.stopping_flag.store(true);
    co_await unlock(guard);
  } else {
    co_await device.stopping_flag.store(true);
  }
  co_await io_decrement(device);
  const bool event = co_await device.stopping_event.load();
  if (event) co_await device.stopped.store(true);
}

Task<void> bluetooth_driver(bool fixed) {
  Device device;
  auto stop = corosim::spawn(pnp_stop(device, fixed));
  co_await point();
  co_await pnp_add(device, fixed);
  co_await stop;
}

// --- stack: pops counted by a flag, not by what was pushed -----------------------------
// One thread pushes 10 values, raising a flag; the other pops 10 times once
// the flag is up, and underflows when it outpaces the pusher. Fixed
// (stack_ok): pop only when the stack is not empty.
constexpr int kStackSize = 10;
constexpr int kOverflow = -1;
constexpr int kUnderflow = -2;

struct Stack {
  Mutex m;
  Shared<int> top;
  std::array<Shared<int>, kStackSize> slots;
  Shared<bool> flag;
};

Task<int> push(Stack& stack, int value) {
  const int top = co_await stack.top.load();
  if (top == kStackSize) co_return kOverflow;
  const int at = co_await stack.top.load();
  co_await stack.slots[at].store(value);
  const int before = co_await stack.top.load();
  co_await stack.top.store(before + 1);
  co_return 0;
}

Task<int> pop(Stack& stack) {
  const int top = co_await stack.top.load();
  if (top == 0) co_return kUnderflow;
  const int before = co_await stack.top.load();
  co_await stack.top.store(before - 1);
  const int at = co_await stack.top.load();
  const int value = co_await stack.slots[at].load();
  co_return value;
}

Task<void> pusher(Stack& stack, bool fixed) {
  for (int i = 0; i < kStackSize; ++i) {
    auto guard = co_await stack.m.lock();
    const int pushed = co_await push(stack, i);
    CORO_CHECK_MSG(pushed != kOverflow, "the stack overflowed");
    if (!fixed) co_await stack.flag.store(true);
    co_await unlock(guard);
  }
}

Task<void> popper(Stack& stack, bool fixed) {
  for (int i = 0; i < kStackSize; ++i) {
    auto guard = co_await stack.m.lock();
    if (fixed) {
      const int top = co_await stack.top.load();
      if (top > 0) co_await pop(stack);
    } else {
      const bool flag = co_await stack.flag.load();
      if (flag) {
        const int popped = co_await pop(stack);
        CORO_CHECK_MSG(popped != kUnderflow, "popped an empty stack");
      }
    }
    co_await unlock(guard);
  }
}

Task<void> stack(bool fixed) {
  Stack state;
  auto t1 = corosim::spawn(pusher(state, fixed));
  co_await point();
  auto t2 = corosim::spawn(popper(state, fixed));
  co_await point();
  co_await t1;
  co_await t2;
}

// --- queue: the consumer's round counter runs ahead of what it dequeued -----------------
// The producer enqueues 0, then one value per round while enqueue_flag is up;
// the consumer, in each of its rounds where dequeue_flag is up, checks the
// value against stored_elements[round] — but a round without a dequeue still
// counts (and the producer files each value under its round, too). Fixed:
// both index by what they enqueued and dequeued.
constexpr int kQueueSize = 20;

struct Queue {
  Mutex m;
  std::array<Shared<int>, kQueueSize> element;
  Shared<int> head;
  Shared<int> tail;
  Shared<int> amount;
  std::array<Shared<int>, kQueueSize> stored;
  Shared<bool> enqueue_flag{true};
  Shared<bool> dequeue_flag{false};
};

// Moves head or tail on by one, wrapping past the end to 1 as the original does.
Task<void> advance(Shared<int>& index) {
  const int at = co_await index.load();
  if (at == kQueueSize) {
    co_await index.store(1);
  } else {
    const int again = co_await index.load();
    co_await index.store(again + 1);
  }
}

Task<void> enqueue(Queue& queue, int value) {
  const int tail = co_await queue.tail.load();
  CORO_CHECK_MSG(tail < kQueueSize, "enqueued past the queue's storage");
  if (tail >= kQueueSize) co_return;
  co_await queue.element[tail].store(value);
  const int amount = co_await queue.amount.load();
  co_await queue.amount.store(amount + 1);
  co_await advance(queue.tail);
}

Task<int> dequeue(Queue& queue) {
  const int head = co_await queue.head.load();
  const int value = co_await queue.element[head].load();
  const int amount = co_await queue.amount.load();
  co_await queue.amount.store(amount - 1);
  co_await advance(queue.head);
  co_return value;
}

Task<void> producer(Queue& queue, bool fixed) {
  {
    auto guard = co_await queue.m.lock();
    co_await enqueue(queue, 0);
    co_await queue.stored[0].store(0);
    const int head = co_await queue.head.load();
    const int tail = co_await queue.tail.load();
    CORO_CHECK_MSG(head != tail, "the queue is empty after an enqueue");
    co_await unlock(guard);
  }
  int value = 0;
  for (int i = 0; i + 1 < kQueueSize; ++i) {
    auto guard = co_await queue.m.lock();
    const bool turn = co_await queue.enqueue_flag.load();
    if (turn) {
      ++value;
      co_await enqueue(queue, value);
      co_await queue.stored[fixed ? value : i + 1].store(value);
      co_await queue.enqueue_flag.store(false);
      co_await queue.dequeue_flag.store(true);
    }
    co_await unlock(guard);
  }
}

Task<void> consumer(Queue& queue, bool fixed) {
  int dequeued = 0;
  for (int i = 0; i < kQueueSize; ++i) {
    auto guard = co_await queue.m.lock();
    const bool turn = co_await queue.dequeue_flag.load();
    if (turn) {
      const int value = co_await dequeue(queue);
      const int expected = co_await queue.stored[fixed ? dequeued : i].load();
      CORO_CHECK_MSG(value == expected, "dequeued a value other than the one stored for this round");
      ++dequeued;
      co_await queue.dequeue_flag.store(false);
      co_await queue.enqueue_flag.store(true);
    }
    co_await unlock(guard);
  }
}

Task<void> queue(bool fixed) {
  Queue state;
  auto t1 = corosim::spawn(producer(state, fixed));
  co_await point();
  auto t2 = corosim::spawn(consumer(state, fixed));
  co_await point();
  co_await t1;
  co_await t2;
}

// --- sync01 and arithmetic_prog: producer and consumer on condition variables -----------
// sync01: the producer waits for num to drop to 0, but the consumer never
// consumes (its decrement is commented out in the C source): a deadlock in
// every schedule. Fixed (sync01_ok): num starts at 0 and the consumer consumes.
struct Buffer {
  Mutex m;
  CondVar empty;
  CondVar full;
  Shared<int> num;
  Shared<int> total;
  Shared<bool> done;
};

Task<void> produce(Buffer& buffer, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    auto guard = co_await buffer.m.lock();
    int num = co_await buffer.num.load();
    while (num > 0) {
      co_await buffer.empty.wait(guard);
      num = co_await buffer.num.load();
    }
    const int before = co_await buffer.num.load();
    co_await buffer.num.store(before + 1);
    co_await unlock(guard);
    co_await point_on(buffer.full.id());
    buffer.full.notify_one();
  }
}

// Consumes `rounds` items, adding each round's index to total, then the
// round count, as arithmetic_prog does; sync01's consumer (consume false)
// only waits for an item.
Task<void> consume(Buffer& buffer, int rounds, bool consume_items) {
  int j = 0;
  for (; j < rounds; ++j) {
    auto guard = co_await buffer.m.lock();
    int num = co_await buffer.num.load();
    while (num == 0) {
      co_await buffer.full.wait(guard);
      num = co_await buffer.num.load();
    }
    if (consume_items) {
      const int total = co_await buffer.total.load();
      co_await buffer.total.store(total + j);
      const int before = co_await buffer.num.load();
      co_await buffer.num.store(before - 1);
    }
    co_await unlock(guard);
    co_await point_on(buffer.empty.id());
    buffer.empty.notify_one();
  }
  if (!consume_items) co_return;
  const int total = co_await buffer.total.load();
  co_await buffer.total.store(total + j);
  co_await buffer.done.store(true);
}

Task<void> sync01(bool fixed) {
  Buffer buffer;
  buffer.num = Shared<int>(fixed ? 0 : 1);
  auto t1 = corosim::spawn(produce(buffer, 1));
  co_await point();
  auto t2 = corosim::spawn(consume(buffer, 1, fixed));
  co_await point();
  co_await t1;
  co_await t2;
}

// arithmetic_prog: N rounds of produce and consume; the consumer's total is
// 0 + 1 + ... + (N - 1) + N = N (N + 1) / 2, which the buggy program asserts
// it is not (N = 3). Fixed (arithmetic_prog_ok): N = 4, asserting equality.
Task<void> arithmetic_prog(bool fixed) {
  const int rounds = fixed ? 4 : 3;
  Buffer buffer;
  auto t1 = corosim::spawn(produce(buffer, rounds));
  co_await point();
  auto t2 = corosim::spawn(consume(buffer, rounds, true));
  co_await point();
  co_await t1;
  co_await t2;
  const bool done = co_await buffer.done.load();
  if (!done) co_return;
  const int total = co_await buffer.total.load();
  const int sum = rounds * (rounds + 1) / 2;
  if (fixed) {
    CORO_CHECK_MSG(total == sum, "the consumer's total is not the sum of its rounds");
  } else {
    CORO_CHECK_MSG(total != sum, "the consumer's total is the sum of its rounds");
  }
}

const corosim::Expectation kCheck = corosim::fails_with(corosim::Checker::check);

}  // namespace

CORO_SCENARIO("sctbench/reorder_3", kCheck) { co_await reorder(3, false); }
CORO_SCENARIO("sctbench/reorder_3_fixed", corosim::passes()) { co_await reorder(3, true); }
CORO_SCENARIO("sctbench/reorder_5", kCheck) { co_await reorder(5, false); }
CORO_SCENARIO("sctbench/reorder_5_fixed", corosim::passes()) { co_await reorder(5, true); }
CORO_SCENARIO("sctbench/reorder_10", kCheck) { co_await reorder(10, false); }
CORO_SCENARIO("sctbench/reorder_10_fixed", corosim::passes()) { co_await reorder(10, true); }
CORO_SCENARIO("sctbench/reorder_20", kCheck) { co_await reorder(20, false); }
CORO_SCENARIO("sctbench/reorder_20_fixed", corosim::passes()) { co_await reorder(20, true); }
CORO_SCENARIO("sctbench/token_ring", kCheck) { co_await token_ring(false); }
CORO_SCENARIO("sctbench/token_ring_fixed", corosim::passes()) { co_await token_ring(true); }
CORO_SCENARIO("sctbench/bluetooth_driver", kCheck) { co_await bluetooth_driver(false); }
CORO_SCENARIO("sctbench/bluetooth_driver_fixed", corosim::passes()) { co_await bluetooth_driver(true); }
CORO_SCENARIO("sctbench/stack", kCheck) { co_await stack(false); }
CORO_SCENARIO("sctbench/stack_fixed", corosim::passes()) { co_await stack(true); }
CORO_SCENARIO("sctbench/queue", kCheck) { co_await queue(false); }
CORO_SCENARIO("sctbench/queue_fixed", corosim::passes()) { co_await queue(true); }
CORO_SCENARIO("sctbench/sync01", corosim::fails_with(corosim::Checker::deadlock)) { co_await sync01(false); }
CORO_SCENARIO("sctbench/sync01_fixed", corosim::passes()) { co_await sync01(true); }
CORO_SCENARIO("sctbench/arithmetic_prog", kCheck) { co_await arithmetic_prog(false); }
CORO_SCENARIO("sctbench/arithmetic_prog_fixed", corosim::passes()) { co_await arithmetic_prog(true); }
