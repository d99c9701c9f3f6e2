// One item handed from a producer to whichever of two consumers waits for it
// on a condition variable. Consumer A's owner may give up on it at any point
// (corosim::cancellable: a client that can go away); when A gives up after
// being notified, B must get the item all the same.
#pragma once

#include <chrono>

#include <corosim/runtime/corosim.h>

namespace example {

template <class ConditionVariable>
corosim::Task<void> handoff() {
  corosim::Mutex mutex;
  ConditionVariable ready;
  int items = 0;
  corosim::Event taken;
  auto consume = [&]() -> corosim::Task<void> {
    auto guard = co_await mutex.lock();
    while (items == 0) co_await ready.wait(guard);
    --items;
    taken.set();
  };
  // Only A's operation is under test; B and the producer are harness.
  auto a = corosim::spawn([&]() -> corosim::Task<bool> {
             co_return co_await corosim::cancellable(consume());
           }).shield();
  auto b = corosim::spawn(consume).shield();
  auto producer = corosim::spawn([&]() -> corosim::Task<void> {
                    // Virtual time moves only when nothing else can run: by
                    // then both consumers wait.
                    co_await corosim::sleep_for(std::chrono::milliseconds(1));
                    auto guard = co_await mutex.lock();
                    ++items;
                    ready.notify_one();
                  }).shield();
  co_await producer;
  // Whoever got the item, someone must: with A gone, B. The consumer still
  // waiting is dropped with its handle when this returns.
  co_await taken.wait();
  CORO_CHECK(items == 0);
}

// Waits with nobody to notify it: the deadlock report names the condition
// variable and the operation, as it does for corosim's own primitives.
template <class ConditionVariable>
corosim::Task<void> forgotten_notify() {
  corosim::Mutex mutex;
  ConditionVariable ready;
  auto guard = co_await mutex.lock();
  co_await ready.wait(guard);
}

}  // namespace example
