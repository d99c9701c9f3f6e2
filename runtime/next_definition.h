// The next definition of an interposed C function (libc's, or a
// sanitizer's), for corosim's interposers (runtime/real_time.cpp, asio's
// timerfd in asio/context.cpp): they handle the call themselves inside a
// simulation and pass it on otherwise.
#pragma once

#include <dlfcn.h>

#include <atomic>

namespace corosim::detail {

// Looked up once and cached; racing first calls store the same value. Null in
// a statically linked program, where the callers fall back to the system call.
template <class F>
F next_definition(std::atomic<F>& cached, const char* name) noexcept {
  F found = cached.load(std::memory_order_relaxed);
  if (found == nullptr) {
    found = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
    cached.store(found, std::memory_order_relaxed);
  }
  return found;
}

}  // namespace corosim::detail
