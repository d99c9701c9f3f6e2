#include "bench/live_bytes.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

namespace corosim::bench {

namespace {
bool tracking = false;
std::int64_t live = 0;
}  // namespace

void track_live_bytes(bool on) noexcept { tracking = on; }
std::int64_t live_bytes() noexcept { return live; }

}  // namespace corosim::bench

// g++ pairs the replaced new/delete with malloc/free and warns falsely.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {

void* allocate(std::size_t size) {
  void* memory = std::malloc(size == 0 ? 1 : size);
  if (memory == nullptr) throw std::bad_alloc();
  if (corosim::bench::tracking) corosim::bench::live += static_cast<std::int64_t>(malloc_usable_size(memory));
  return memory;
}

void release(void* memory) noexcept {
  if (memory == nullptr) return;
  if (corosim::bench::tracking) corosim::bench::live -= static_cast<std::int64_t>(malloc_usable_size(memory));
  std::free(memory);
}

}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void operator delete(void* memory) noexcept { release(memory); }
void operator delete(void* memory, std::size_t) noexcept { release(memory); }
void operator delete[](void* memory) noexcept { release(memory); }
void operator delete[](void* memory, std::size_t) noexcept { release(memory); }
