// executor/run_queue.h: take(i) moves the oldest into the taken place, and
// slot_ahead names the slot a later take will read (the simulator prefetches
// by it, so a wrong slot would only slow large crowds down; this pins it).
#include <catch2/catch.hpp>
#include <array>

#include "corosim/executor/run_queue.h"

namespace {

struct Item {
  bool queued = false;
  int id = 0;
};

}  // namespace

TEST_CASE("run queue: a take moves the oldest into the taken place", "[run_queue]") {
  std::array<Item, 4> items{};
  corosim::detail::BasicRunQueue<Item> queue;
  for (int i = 0; i < 4; ++i) {
    items[i].id = i;
    queue.push(items[i]);
  }
  CHECK(queue.take(2).id == 2);
  REQUIRE(queue.size() == 3);
  CHECK(queue.at(0).id == 1);
  CHECK(queue.at(1).id == 0);
  CHECK(queue.at(2).id == 3);
  CHECK_FALSE(items[2].queued);
}

TEST_CASE("run queue: slot_ahead names the slot a later take reads", "[run_queue]") {
  std::array<Item, 100> items{};
  corosim::detail::BasicRunQueue<Item> queue;
  for (int i = 0; i < 100; ++i) {
    items[i].id = i;
    queue.push(items[i]);  // grows past its first capacity (64): the ring wraps below
  }
  for (int round = 0; round < 150; ++round) {
    const std::size_t taken = (round * 37) % queue.size();
    const std::size_t later = (round * 11 + 5) % (queue.size() - 1);
    for (std::size_t i = 0; i < queue.size(); ++i) REQUIRE(*queue.slot_ahead(1, i) == &queue.at(i));
    // queued_ahead: the same slot while it holds a queued item, null past them.
    CHECK(queue.queued_ahead(2, later) == *queue.slot_ahead(2, later));
    CHECK(queue.queued_ahead(1, queue.size()) == nullptr);
    CHECK(queue.queued_ahead(queue.size(), 1) == nullptr);
    Item* const predicted = *queue.slot_ahead(2, later);
    const std::size_t predicted_place = later + 1;  // from the current head
    Item& item = queue.take(taken);
    queue.push(item);  // as a fiber that yields comes back
    // Unless this take moved the oldest into that very place.
    if (predicted_place != taken) CHECK(&queue.at(later) == predicted);
  }
}
