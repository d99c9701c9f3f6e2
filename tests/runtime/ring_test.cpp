// runtime/detail/ring.h: the channels' buffer. Order across wrap-around and
// growth, push_front for items given back, move-only items, and every item
// destroyed exactly once.
#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>
#include <vector>

#include "corosim/runtime/detail/ring.h"

using corosim::detail::Ring;

namespace {

// Counts live instances; its copy can be told to throw. Its move is not
// noexcept, so a growing ring copies it.
struct Counted {
  static inline int live = 0;
  static inline int copies_until_throw = -1;
  int value;
  explicit Counted(int v) : value(v) { ++live; }
  Counted(Counted&& other) : value(other.value) { ++live; }
  Counted(const Counted& other) : value(other.value) {
    if (copies_until_throw >= 0 && copies_until_throw-- == 0) throw std::runtime_error("copy");
    ++live;
  }
  Counted& operator=(const Counted&) = delete;
  ~Counted() { --live; }
};

std::vector<int> drain(Ring<int>& ring) {
  std::vector<int> out;
  while (!ring.empty()) {
    out.push_back(ring.front());
    ring.pop_front();
  }
  return out;
}

}  // namespace

TEST_CASE("ring: first in first out across wrap-around and growth", "[ring]") {
  Ring<int> ring;
  CHECK(ring.empty());
  // Wrap the head around the first array, then grow while wrapped.
  for (int i = 0; i < 3; ++i) ring.push_back(i);
  ring.pop_front();
  ring.pop_front();
  for (int i = 3; i < 12; ++i) ring.push_back(i);
  CHECK(ring.size() == 10);
  CHECK(drain(ring) == std::vector<int>{2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  // Steady one-in one-out traffic reuses the array.
  for (int i = 0; i < 100; ++i) {
    ring.push_back(i);
    CHECK(ring.front() == i);
    ring.pop_front();
  }
  CHECK(ring.empty());
}

TEST_CASE("ring: an item pushed to the front comes out first", "[ring]") {
  Ring<int> ring;
  ring.push_front(1);  // into an empty, unallocated ring
  ring.push_back(2);
  ring.push_front(0);
  for (int i = 3; i < 6; ++i) ring.push_back(i);  // grows with the head wrapped to the back
  ring.push_front(-1);
  CHECK(drain(ring) == std::vector<int>{-1, 0, 1, 2, 3, 4, 5});
}

TEST_CASE("ring: move-only items and each item destroyed once", "[ring]") {
  {
    Ring<std::unique_ptr<int>> ring;
    for (int i = 0; i < 9; ++i) ring.push_back(std::make_unique<int>(i));
    CHECK(*ring.front() == 0);
    ring.pop_front();
    CHECK(*ring.front() == 1);
  }
  Counted::live = 0;
  {
    Ring<Counted> ring;
    for (int i = 0; i < 7; ++i) ring.push_back(Counted(i));
    ring.pop_front();
    CHECK(Counted::live == 6);
  }
  CHECK(Counted::live == 0);  // the destructor destroyed what was left
}

TEST_CASE("ring: an item that throws as the ring grows leaves the ring as it was", "[ring]") {
  Counted::live = 0;
  {
    Ring<Counted> ring;
    for (int i = 0; i < 4; ++i) ring.push_back(Counted(i));  // full: the next push grows
    // Counted's move may throw, so growing copies; the second copy throws.
    Counted::copies_until_throw = 1;
    Counted extra(4);
    CHECK_THROWS_AS(ring.push_back(extra), std::runtime_error);
    Counted::copies_until_throw = -1;
    CHECK(Counted::live == 5);  // the four in the ring and extra: the copies made were destroyed
    CHECK(ring.size() == 4);
    ring.push_back(extra);  // and it still grows
    for (int i = 0; i < 5; ++i) {
      CHECK(ring.front().value == i);
      ring.pop_front();
    }
  }
  CHECK(Counted::live == 0);
}
